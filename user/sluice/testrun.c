// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <json-c/json.h>

#include "apply.h"
#include "config.h"
#include "dataplane.h"
#include "grammar.h"
#include "pcap_read.h"
#include "pktdesc.h"
#include "testrun.h"

/* bpf_prog_test_run runs on the caller's netns loopback: ifindex 1. */
#define SL_TESTRUN_IFINDEX 1
#define SL_ETH_HLEN 14

static int bind_ingress(struct sl_dp *dp, const struct sl_config *cfg,
			const char *in, char *err, size_t errlen)
{
	struct sluice_iface iface;
	int slot, ret;

	if (!in && cfg->nifaces)
		in = cfg->ifaces[0].ifname;
	if (!in)
		return 0; /* slot 0: an interface sluice does not know */
	if (strlen(in) >= SLUICE_IFNAME_LEN) {
		snprintf(err, errlen, "interface name \"%s\" is too long", in);
		return -EINVAL;
	}
	slot = sl_dp_slot(dp, in, true);
	if (slot < 0) {
		snprintf(err, errlen, "%s: %s", in, strerror(-slot));
		return slot;
	}
	ret = sl_dp_iface_get(dp, slot, &iface);
	if (ret)
		return ret;
	iface.ifindex = SL_TESTRUN_IFINDEX;
	return sl_dp_iface_set(dp, slot, &iface);
}

/* What the hook's return code says, and for a redirect, which action. */
static const char *verdict_name(enum sluice_hook hook, __u32 retval,
				const struct sluice_trace *t)
{
	bool xdp = hook == SLUICE_HOOK_XDP;

	if (retval == (xdp ? XDP_DROP : 2 /* TC_ACT_SHOT */))
		return "drop";
	if (retval == (xdp ? XDP_PASS : 0 /* TC_ACT_OK */))
		return "pass";
	if (retval == (xdp ? XDP_REDIRECT : 7 /* TC_ACT_REDIRECT */))
		return sl_action_name(t->action);
	/* syn-proxy's SYN-ACK, back out of the port the SYN came in by. */
	if (xdp && retval == XDP_TX)
		return sl_action_name(t->action);
	return "aborted";
}

struct run {
	struct sl_dp *dp;
	int prog_fd;
	enum sluice_hook hook;
	json_object *arr; /* -j: the verdicts so far */
	FILE *out;
	unsigned long n; /* frames so far */
};

/*
 * One line (or object) per frame.  t is NULL when no program ran: then
 * why says what is wrong, and harness, if set, what bpf_prog_test_run
 * refused the frame with.
 */
static void report(struct run *r, const char *verdict,
		   const struct sluice_trace *t, const char *why,
		   const char *harness)
{
	const char *reason = why ? why : sl_reason_name(t->reason);
	char rule[16];

	if (r->arr) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "packet",
				       json_object_new_int64(r->n));
		json_object_object_add(o, "verdict",
				       json_object_new_string(verdict));
		json_object_object_add(
			o, "rule",
			t && t->prio ? json_object_new_int(t->prio) : NULL);
		json_object_object_add(o, "reason",
				       json_object_new_string(reason));
		if (harness)
			json_object_object_add(o, "error",
					       json_object_new_string(harness));
		json_object_array_add(r->arr, o);
		return;
	}
	if (t && t->prio)
		snprintf(rule, sizeof(rule), "%u", t->prio);
	else
		snprintf(rule, sizeof(rule), "%s",
			 t && t->reason != SLUICE_REASON_MALFORMED &&
					 t->reason != SLUICE_REASON_NOT_IP &&
					 t->reason !=
						 SLUICE_REASON_PARSE_LIMIT ?
				 "policy" :
				 "-");
	fprintf(r->out, "packet %lu verdict %s rule %s reason %s", r->n,
		verdict, rule, reason);
	if (harness)
		fprintf(r->out, " error \"%s\"", harness);
	fputc('\n', r->out);
}

/*
 * Run one frame of caplen bytes (len on the wire).  Whatever the frame,
 * it gets its line and the run goes on: the kernel's harness refuses
 * some frames the hook would meet live (on tc, an IPv4 or IPv6 ethertype
 * with less than a whole IP header after it; on both, frames larger than
 * it can lay out), and that is a verdict about the frame, not a failure
 * of the run.
 */
static void run_frame(struct run *r, const void *data, size_t caplen,
		      size_t len)
{
	/* No data_out: the verdict is all we want, and a buffer too
	 * small for a large frame would fail the run with ENOSPC. */
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = data,
		    .data_size_in = caplen, .repeat = 1);
	struct sluice_trace tr = {};

	r->n++;
	if (caplen < SL_ETH_HLEN) {
		report(r, "error", NULL, "shorter than Ethernet", NULL);
		return;
	}
	if (caplen < len) {
		report(r, "error", NULL, "truncated capture", NULL);
		return;
	}
	if (bpf_prog_test_run_opts(r->prog_fd, &t)) {
		report(r, "error", NULL, "harness", strerror(errno));
		return;
	}
	sl_dp_last_trace(r->dp, &tr);
	report(r, verdict_name(r->hook, t.retval, &tr), &tr, NULL, NULL);
}

static void pcap_frame(void *arg, const unsigned char *data, size_t caplen,
		       size_t len)
{
	run_frame(arg, data, caplen, len);
}

static int run_pcap(struct run *r, const char *path)
{
	/* The path and libpcap's message (PCAP_ERRBUF_SIZE), uncut. */
	char err[PATH_MAX + 512];
	int ret;

	ret = sl_pcap_read(path, pcap_frame, r, err, sizeof(err));
	if (ret)
		fprintf(stderr, "sluice: %s\n", err);
	return ret;
}

static int run_all(struct sl_dp *dp, const struct sl_testrun_opts *opts,
		   FILE *out)
{
	struct run r = {
		.dp = dp,
		.prog_fd = sl_dp_prog_fd(dp, opts->hook),
		.hook = opts->hook,
		.out = out,
	};
	size_t i;
	int ret = 0;

	if (opts->json)
		r.arr = json_object_new_array();
	if (opts->pcap)
		ret = run_pcap(&r, opts->pcap);
	for (i = 0; !ret && i < opts->nframes; i++)
		run_frame(&r, opts->frames[i].data, opts->frames[i].len,
			  opts->frames[i].len);
	if (r.arr) {
		if (!ret)
			fprintf(out, "%s\n",
				json_object_to_json_string_ext(
					r.arr,
					JSON_C_TO_STRING_PRETTY |
						JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(r.arr);
	}
	return ret;
}

int sl_testrun(const struct sl_testrun_opts *opts, FILE *out)
{
	struct sl_dp_opts dpo = { .trace = true };
	struct sl_config cfg = {};
	char err[SL_ERR_LEN] = "";
	struct sl_dp *dp = NULL;
	int ret;

	ret = sl_config_load(opts->config, &cfg, err, sizeof(err));
	if (ret)
		goto out;
	ret = sl_dp_open(&dpo, &dp, err, sizeof(err));
	if (!ret)
		ret = sl_apply_config(dp, &cfg, err, sizeof(err));
	if (!ret)
		ret = bind_ingress(dp, &cfg, opts->in, err, sizeof(err));
	if (!ret)
		ret = run_all(dp, opts, out);
out:
	if (ret && err[0])
		fprintf(stderr, "sluice: %s\n", err);
	sl_dp_close(dp);
	sl_config_free(&cfg);
	return ret;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const char *const hook_names[SLUICE_HOOK__MAX] = {
	[SLUICE_HOOK_XDP] = "xdp",
	[SLUICE_HOOK_TC] = "tc",
};

/* Long options without a short one. */
enum { OPT_HOOK = 256, OPT_IN, OPT_PCAP, OPT_PACKET };

/* The options: getopt's tables, the usage and the completion's words. */
static const struct testrun_opt {
	const char *name;
	int val; /* the short option, or OPT_* */
	const char *arg; /* NULL: none, or the choices */
	const char *const *choices; /* SLUICE_HOOK__MAX of them */
	enum { OPT_OPTIONAL, OPT_REQUIRED, OPT_REPEATED } use;
} testrun_opts[] = {
	{ "config", 'c', "FILE", NULL, OPT_REQUIRED },
	{ "hook", OPT_HOOK, NULL, hook_names },
	{ "in", OPT_IN, "IFACE" },
	{ "pcap", OPT_PCAP, "FILE" },
	{ "packet", OPT_PACKET, "PACKET", NULL, OPT_REPEATED },
	{ "json", 'j' },
};

void sl_testrun_synopsis(FILE *f)
{
	const struct testrun_opt *o;
	unsigned int i;

	fputs("test-run", f);
	for (o = testrun_opts; o < testrun_opts + ARRAY_SIZE(testrun_opts);
	     o++) {
		fputs(o->use == OPT_REQUIRED ? " " : " [", f);
		if (o->val < 256)
			fprintf(f, "-%c", o->val);
		else
			fprintf(f, "--%s", o->name);
		if (o->arg)
			fprintf(f, " %s", o->arg);
		for (i = 0; o->choices && i < SLUICE_HOOK__MAX; i++)
			fprintf(f, "%c%s", i ? '|' : ' ', o->choices[i]);
		fputs(o->use == OPT_REQUIRED ? "" :
		      o->use == OPT_REPEATED ? "]..." :
					       "]",
		      f);
	}
}

int sl_testrun_words(const char *context, FILE *f)
{
	const struct testrun_opt *o;
	unsigned int i;

	if (!strcmp(context, "hook")) {
		for (i = 0; i < SLUICE_HOOK__MAX; i++)
			fprintf(f, "%s\n", hook_names[i]);
		return 0;
	}
	if (strcmp(context, "test-run"))
		return -ENOENT;
	for (o = testrun_opts; o < testrun_opts + ARRAY_SIZE(testrun_opts);
	     o++) {
		if (o->val < 256)
			fprintf(f, "-%c\n", o->val);
		fprintf(f, "--%s\n", o->name);
	}
	return 0;
}

static void usage(void)
{
	fputs("usage: sluice ", stderr);
	sl_testrun_synopsis(stderr);
	fprintf(stderr, "\n%s", sl_pktdesc_usage);
}

static void free_frames(struct sl_testrun_frame *f, size_t n)
{
	while (n--)
		free(f[n].data);
	free(f);
}

/* The frames of the --packet descriptions, or NULL after a one-line
 * error naming the description. */
static struct sl_testrun_frame *build_frames(char **descs, size_t n)
{
	struct sl_testrun_frame *f = calloc(n ?: 1, sizeof(*f));
	struct pkt *p = malloc(sizeof(*p));
	char err[256];
	size_t i;

	if (!f || !p) {
		fprintf(stderr, "sluice: test-run: %s\n", strerror(ENOMEM));
		goto fail;
	}
	for (i = 0; i < n; i++) {
		if (sl_pktdesc_build(descs[i], p, err, sizeof(err))) {
			fprintf(stderr,
				"sluice: test-run: --packet \"%s\": %s\n",
				descs[i], err);
			goto fail;
		}
		f[i].data = malloc(p->len);
		if (!f[i].data) {
			fprintf(stderr, "sluice: test-run: %s\n",
				strerror(ENOMEM));
			goto fail;
		}
		memcpy(f[i].data, p->buf, p->len);
		f[i].len = p->len;
	}
	free(p);
	return f;
fail:
	free(p);
	if (f)
		free_frames(f, n);
	return NULL;
}

int sl_testrun_main(int argc, char **argv, bool json)
{
	struct option longopts[ARRAY_SIZE(testrun_opts) + 1] = { 0 };
	char shortopts[2 * ARRAY_SIZE(testrun_opts) + 1], *p = shortopts;
	unsigned int i;
	struct sl_testrun_opts o = { .hook = SLUICE_HOOK_XDP, .json = json };
	struct sl_testrun_frame *frames;
	char **descs;
	size_t ndescs = 0;
	int c, ret;

	/* At most one description per argument. */
	descs = calloc(argc, sizeof(*descs));
	if (!descs) {
		fprintf(stderr, "sluice: test-run: %s\n", strerror(ENOMEM));
		return 1;
	}
	for (i = 0; i < ARRAY_SIZE(testrun_opts); i++) {
		const struct testrun_opt *t = &testrun_opts[i];
		bool has_arg = t->arg || t->choices;

		longopts[i] = (struct option){ t->name, has_arg, NULL, t->val };
		if (t->val < 256) {
			*p++ = t->val;
			if (has_arg)
				*p++ = ':';
		}
	}
	*p = '\0';
	optind = 1;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config = optarg;
			break;
		case OPT_HOOK:
			for (i = 0; i < SLUICE_HOOK__MAX; i++)
				if (!strcmp(optarg, hook_names[i]))
					break;
			if (i == SLUICE_HOOK__MAX) {
				fprintf(stderr,
					"sluice: test-run: unknown hook \"%s\" (xdp or tc)\n",
					optarg);
				free(descs);
				return 2;
			}
			o.hook = i;
			break;
		case OPT_IN:
			o.in = optarg;
			break;
		case OPT_PCAP:
			o.pcap = optarg;
			break;
		case OPT_PACKET:
			descs[ndescs++] = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		default:
			usage();
			free(descs);
			return 2;
		}
	}
	if (!o.config || (!o.pcap && !ndescs) || optind != argc) {
		if (optind != argc)
			fprintf(stderr,
				"sluice: test-run: unexpected argument \"%s\"\n",
				argv[optind]);
		else if (o.config)
			fprintf(stderr,
				"sluice: test-run: no packets: --pcap FILE or --packet PACKET\n");
		usage();
		free(descs);
		return 2;
	}
	frames = build_frames(descs, ndescs);
	free(descs);
	if (!frames)
		return 2;
	o.frames = frames;
	o.nframes = ndescs;
	ret = sl_testrun(&o, stdout) ? 1 : 0;
	free_frames(frames, ndescs);
	return ret;
}
