// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/bpf.h>
#include <json-c/json.h>
/* libbpf owns struct bpf_insn; pcap need not define its own. */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <pcap/dlt.h>

#include "apply.h"
#include "config.h"
#include "dataplane.h"
#include "grammar.h"
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
	return "aborted";
}

static void report(FILE *out, json_object *arr, unsigned long n,
		   const char *verdict, const struct sluice_trace *t,
		   const char *why)
{
	const char *reason = why ? why : sl_reason_name(t->reason);
	char rule[16];

	if (arr) {
		json_object *o = json_object_new_object();

		json_object_object_add(o, "packet", json_object_new_int64(n));
		json_object_object_add(o, "verdict",
				       json_object_new_string(verdict));
		json_object_object_add(
			o, "rule",
			t && t->prio ? json_object_new_int(t->prio) : NULL);
		json_object_object_add(o, "reason",
				       json_object_new_string(reason));
		json_object_array_add(arr, o);
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
	fprintf(out, "packet %lu verdict %s rule %s reason %s\n", n, verdict,
		rule, reason);
}

static int run_pcap(struct sl_dp *dp, const struct sl_testrun_opts *opts,
		    FILE *out)
{
	static unsigned char data_out[65536 + 256];
	char perr[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const unsigned char *bytes;
	json_object *arr = NULL;
	unsigned long n = 0;
	pcap_t *pc;
	int prog_fd = sl_dp_prog_fd(dp, opts->hook), r, ret = 0;

	pc = pcap_open_offline(opts->pcap, perr);
	if (!pc) {
		fprintf(stderr, "sluice: %s\n", perr);
		return -EINVAL;
	}
	if (pcap_datalink(pc) != DLT_EN10MB) {
		fprintf(stderr, "sluice: %s: link type %s, not Ethernet\n",
			opts->pcap,
			pcap_datalink_val_to_name(pcap_datalink(pc)) ?: "?");
		pcap_close(pc);
		return -EINVAL;
	}
	if (opts->json)
		arr = json_object_new_array();

	while ((r = pcap_next_ex(pc, &h, &bytes)) == 1) {
		LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = bytes,
			    .data_size_in = h->caplen, .data_out = data_out,
			    .data_size_out = sizeof(data_out), .repeat = 1);
		struct sluice_trace tr = {};

		n++;
		if (h->caplen < SL_ETH_HLEN) {
			report(out, arr, n, "error", NULL,
			       "shorter than Ethernet");
			continue;
		}
		if (h->caplen < h->len) {
			report(out, arr, n, "error", NULL, "truncated capture");
			continue;
		}
		if (bpf_prog_test_run_opts(prog_fd, &t)) {
			fprintf(stderr, "sluice: %s: packet %lu: %s\n",
				opts->pcap, n, strerror(errno));
			ret = -errno;
			break;
		}
		sl_dp_last_trace(dp, &tr);
		report(out, arr, n, verdict_name(opts->hook, t.retval, &tr),
		       &tr, NULL);
	}
	if (r == PCAP_ERROR) {
		fprintf(stderr, "sluice: %s: %s\n", opts->pcap,
			pcap_geterr(pc));
		ret = -EINVAL;
	}
	pcap_close(pc);
	if (arr) {
		if (!ret)
			fprintf(out, "%s\n",
				json_object_to_json_string_ext(
					arr,
					JSON_C_TO_STRING_PRETTY |
						JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(arr);
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
		ret = run_pcap(dp, opts, out);
out:
	if (ret && err[0])
		fprintf(stderr, "sluice: %s\n", err);
	sl_dp_close(dp);
	sl_config_free(&cfg);
	return ret;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: sluice test-run -c FILE [--hook xdp|tc] [--in IFACE] --pcap FILE [-j]\n");
}

int sl_testrun_main(int argc, char **argv, bool json)
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "hook", required_argument, NULL, 'H' },
		{ "in", required_argument, NULL, 'i' },
		{ "pcap", required_argument, NULL, 'p' },
		{ "json", no_argument, NULL, 'j' },
		{}
	};
	struct sl_testrun_opts o = { .hook = SLUICE_HOOK_XDP, .json = json };
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "c:j", longopts, NULL)) != -1) {
		switch (c) {
		case 'c':
			o.config = optarg;
			break;
		case 'H':
			if (!strcmp(optarg, "xdp")) {
				o.hook = SLUICE_HOOK_XDP;
			} else if (!strcmp(optarg, "tc")) {
				o.hook = SLUICE_HOOK_TC;
			} else {
				fprintf(stderr,
					"sluice: test-run: unknown hook \"%s\" (xdp or tc)\n",
					optarg);
				return 2;
			}
			break;
		case 'i':
			o.in = optarg;
			break;
		case 'p':
			o.pcap = optarg;
			break;
		case 'j':
			o.json = true;
			break;
		default:
			usage();
			return 2;
		}
	}
	if (!o.config || !o.pcap || optind != argc) {
		if (optind != argc)
			fprintf(stderr,
				"sluice: test-run: unexpected argument \"%s\"\n",
				argv[optind]);
		usage();
		return 2;
	}
	return sl_testrun(&o, stdout) ? 1 : 0;
}
