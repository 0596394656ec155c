// SPDX-License-Identifier: GPL-2.0-only
/*
 * sluice test-run, end to end through the binary: every frame gets one
 * line on both hooks, whatever the frame (malformed, cut short, shorter
 * than Ethernet, larger than the kernel's harness takes), the run goes on
 * and exits 0; and packets described with --packet get the verdicts of
 * the rules they were written to hit, in text and -j, while a bad
 * description is one line naming it and exit status 2.
 *
 * The configuration is one rule per thing a description can say (ports,
 * TCP flags, VLAN, ICMP type, IPv6, an IP protocol) on a pass policy, so
 * a frame built wrong falls to the policy and shows.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <json-c/json.h>
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/pcap.h>
#include <pcap/dlt.h>

#include "pkt.h"
#include "pktdesc.h"
#include "runsluice.h"
#include "verdictjson.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static char tmpdir[64];
static char conf[128], pcap_path[128];

#define CONFIG                                                     \
	"policy eth0 pass\n"                                       \
	"rule add 10 proto udp dport 53 drop\n"                    \
	"rule add 20 proto tcp tcp-flags syn,!ack dport 22 drop\n" \
	"rule add 30 vlan 100 proto udp drop\n"                    \
	"rule add 40 proto icmp icmp-type 8 drop\n"                \
	"rule add 50 proto icmpv6 icmp-type 128 drop\n"            \
	"rule add 60 src 2001:db8::/32 proto tcp dport 22 drop\n"  \
	"rule add 70 proto 47 drop\n"

/* A frame from a description; the builder must take it. */
static void desc_frame(struct pkt *p, const char *desc)
{
	char err[256] = "";

	if (sl_pktdesc_build(desc, p, err, sizeof(err)))
		fail_msg("\"%s\": %s", desc, err);
}

/* --packet descriptions and the lines they must give (on both hooks). */
static const struct {
	const char *desc, *line;
} descs[] = {
	{ "udp 192.0.2.1:1234 > 198.51.100.2:53", "drop rule 10 reason rule" },
	{ "udp 192.0.2.1:1234 > 198.51.100.2:54",
	  "pass rule policy reason policy" },
	{ "tcp 192.0.2.1:40000 > 198.51.100.2:22 flags syn",
	  "drop rule 20 reason rule" },
	{ "tcp 192.0.2.1:40000 > 198.51.100.2:22 flags syn,ack",
	  "pass rule policy reason policy" },
	{ "tcp 192.0.2.1:40000 > 198.51.100.2:22",
	  "pass rule policy reason policy" },
	{ "tcp [2001:db8::1]:40000 > [2001:db8::2]:22 flags syn",
	  "drop rule 20 reason rule" },
	{ "tcp [2001:db8::1]:40000 > [2001:db8::2]:22 flags ack",
	  "drop rule 60 reason rule" },
	{ "tcp [2001:db9::1]:40000 > [2001:db8::2]:22 flags ack",
	  "pass rule policy reason policy" },
	{ "udp 192.0.2.1:1 > 198.51.100.2:99 vlan 100",
	  "drop rule 30 reason rule" },
	{ "udp 192.0.2.1:1 > 198.51.100.2:99 vlan 101",
	  "pass rule policy reason policy" },
	{ "udp 192.0.2.1:1 > 198.51.100.2:99 vlan 100 vlan 7",
	  "drop rule 30 reason rule" },
	{ "udp 192.0.2.1:1 > 198.51.100.2:99 vlan 7 vlan 100",
	  "pass rule policy reason policy" },
	{ "icmp 192.0.2.1 > 192.0.2.9 type 8", "drop rule 40 reason rule" },
	{ "icmp 192.0.2.1 > 192.0.2.9", "drop rule 40 reason rule" },
	{ "icmp 192.0.2.1 > 192.0.2.9 type 0",
	  "pass rule policy reason policy" },
	{ "icmpv6 2001:db8::1 > 2001:db8::2 type 128",
	  "drop rule 50 reason rule" },
	{ "icmpv6 2001:db8::1 > 2001:db8::2 type 129 code 0",
	  "pass rule policy reason policy" },
	{ "ip 192.0.2.1 > 192.0.2.9 proto 47", "drop rule 70 reason rule" },
	{ "ip 2001:db8::1 > 2001:db8::2 proto 47", "drop rule 70 reason rule" },
	{ "udp 192.0.2.1:1234>198.51.100.2:53 len 1500",
	  "drop rule 10 reason rule" },
	{ "udp [2001:db8::1] > [2001:db8::2]:53 len 80",
	  "drop rule 10 reason rule" },
};

static void test_packet_verdicts(void **state)
{
	const char *hook = *state;
	char **argv = calloc(6 + 2 * ARRAY_SIZE(descs) + 1, sizeof(*argv));
	char *want = NULL, *p;
	size_t i, k = 1, wlen = 0;
	FILE *w = open_memstream(&want, &wlen);
	struct run r;

	assert_non_null(argv);
	argv[k++] = "test-run";
	argv[k++] = "-c";
	argv[k++] = conf;
	argv[k++] = "--hook";
	argv[k++] = (char *)hook;
	for (i = 0; i < ARRAY_SIZE(descs); i++) {
		argv[k++] = "--packet";
		argv[k++] = (char *)descs[i].desc;
		fprintf(w, "packet %zu verdict %s\n", i + 1, descs[i].line);
	}
	fclose(w);
	run_sluice(argv, tmpdir, &r);
	assert_string_equal(r.err, "");
	/* Line by line, so a failure names the description. */
	p = r.out;
	for (i = 0; i < ARRAY_SIZE(descs); i++) {
		char line[160];
		size_t n = strcspn(p, "\n");

		snprintf(line, sizeof(line), "packet %zu verdict %s", i + 1,
			 descs[i].line);
		if (strlen(line) != n || strncmp(p, line, n))
			fail_msg("%s: \"%s\": got \"%.*s\", want \"%s\"", hook,
				 descs[i].desc, (int)n, p, line);
		p += n + !!p[n];
	}
	assert_string_equal(r.out, want);
	assert_int_equal(r.status, 0);
	run_free(&r);
	free(want);
	free(argv);
}

/*
 * -j for descriptions: a rule, the policy, and (tc) a 4,000-byte frame
 * the skb harness cannot lay out linearly, which must be an object with
 * the harness's error while the frames around it are judged.
 */
static void test_packet_json(void **state)
{
	char *argv[] = { NULL,
			 "-j",
			 "test-run",
			 "-c",
			 conf,
			 "--hook",
			 "tc",
			 "--packet",
			 "tcp [2001:db8::1]:1 > [2001:db8::2]:22 flags syn",
			 "--packet",
			 "tcp 192.0.2.1:1 > 192.0.2.2:22 flags syn len 4000",
			 "--packet",
			 "udp 192.0.2.1:1 > 192.0.2.2:54 vlan 100",
			 "--packet",
			 "udp 192.0.2.1:1 > 192.0.2.2:54",
			 NULL };
	json_object *arr;
	struct run r;

	run_sluice(argv, tmpdir, &r);
	assert_string_equal(r.err, "");
	assert_int_equal(r.status, 0);
	arr = json_tokener_parse(r.out);
	assert_non_null(arr);
	assert_true(json_object_is_type(arr, json_type_array));
	assert_int_equal(json_object_array_length(arr), 4);
	check_verdict_obj(json_object_array_get_idx(arr, 0), 1, "drop", 20,
			  "rule", NULL);
	check_verdict_obj(json_object_array_get_idx(arr, 1), 2, "error", 0,
			  "harness", "Invalid argument");
	check_verdict_obj(json_object_array_get_idx(arr, 2), 3, "drop", 30,
			  "rule", NULL);
	check_verdict_obj(json_object_array_get_idx(arr, 3), 4, "pass", 0,
			  "policy", NULL);
	json_object_put(arr);
	run_free(&r);
}

/* The builder behind --packet is the tests' builder: same bytes. */
static void test_packet_bytes(void **state)
{
	struct pkt *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));

	assert_non_null(a);
	assert_non_null(b);
	desc_frame(a, "tcp [2001:db8::1]:40000 > [2001:db8::2]:22 "
		      "flags syn,ack,ece vlan 100 vlan 7 len 300");
	pkt_init(b);
	pkt_eth(b, NULL, NULL);
	pkt_vlan(b, PKT_TPID_8021Q, 100);
	pkt_vlan(b, PKT_TPID_8021Q, 7);
	pkt_ipv6(b, "2001:db8::1", "2001:db8::2", 6);
	pkt_tcp(b, 40000, 22, PKT_SYN | PKT_ACK | PKT_ECE);
	pkt_payload(b, NULL, 300 - 14 - 8 - 40 - 20);
	assert_int_equal(pkt_finish(b), 0);
	assert_int_equal(a->len, 300);
	assert_true(pkt_bytes_equal("tcp v6", a->buf, a->len, b->buf, b->len));

	desc_frame(a, "icmp 192.0.2.1 > 192.0.2.9 type 3 code 4");
	pkt_init(b);
	pkt_eth(b, NULL, NULL);
	pkt_ipv4(b, "192.0.2.1", "192.0.2.9", 1);
	pkt_icmp(b, 3, 4);
	assert_int_equal(pkt_finish(b), 0);
	assert_true(pkt_bytes_equal("icmp", a->buf, a->len, b->buf, b->len));

	desc_frame(a, "udp 192.0.2.1:7 > 192.0.2.9:53 len 65535");
	assert_int_equal(a->len, 65535);
	/* IPv4 total length: the frame less Ethernet. */
	assert_int_equal(a->buf[16] << 8 | a->buf[17], 65535 - 14);
	free(a);
	free(b);
}

static const struct {
	const char *desc, *msg;
} bad_descs[] = {
	{ "", "empty (udp|tcp|icmp|icmpv6|ip SRC > DST ...)" },
	{ "sctp 192.0.2.1 > 192.0.2.2",
	  "\"sctp\": starts with udp, tcp, icmp, icmpv6 or ip" },
	{ "udp 192.0.2.1 192.0.2.2", "needs SRC > DST after \"udp\"" },
	{ "udp 192.0.2.1 > x", "\"x\" is not an address" },
	{ "udp 192.0.2.300:1 > 192.0.2.1",
	  "\"192.0.2.300\" is not an address" },
	{ "tcp 192.0.2.1:65536 > 192.0.2.2",
	  "\"192.0.2.1:65536\": port \"65536\" is not 0-65535" },
	{ "udp 192.0.2.1 > 2001:db8::1",
	  "192.0.2.1 and 2001:db8::1 are not the same family" },
	{ "icmp 2001:db8::1 > 2001:db8::2", "icmp is IPv4 (icmpv6 for IPv6)" },
	{ "icmpv6 192.0.2.1 > 192.0.2.2", "icmpv6 is IPv6 (icmp for IPv4)" },
	{ "icmp 192.0.2.1:5 > 192.0.2.2", "icmp has no ports" },
	{ "udp 192.0.2.1 > 192.0.2.2 flags syn",
	  "\"flags\" needs tcp, not udp" },
	{ "tcp 192.0.2.1 > 192.0.2.2 flags syn,bogus",
	  "unknown TCP flag \"bogus\" (fin syn rst psh ack urg ece cwr, or none)" },
	{ "tcp 192.0.2.1 > 192.0.2.2 type 8",
	  "\"type\" needs icmp or icmpv6, not tcp" },
	{ "icmp 192.0.2.1 > 192.0.2.2 type 256", "type \"256\" is not 0-255" },
	{ "udp 192.0.2.1 > 192.0.2.2 vlan 4096",
	  "vlan \"4096\" is not 0-4095" },
	{ "udp 192.0.2.1 > 192.0.2.2 vlan 1 vlan 2 vlan 3",
	  "more than 2 \"vlan\" tags" },
	{ "udp 192.0.2.1 > 192.0.2.2 len 20",
	  "len 20 is shorter than the headers (42 bytes)" },
	{ "udp 192.0.2.1 > 192.0.2.2 len 65536",
	  "len \"65536\" is not 0-65535" },
	{ "udp 192.0.2.1 > 192.0.2.2 len", "\"len\" needs a value" },
	{ "udp 192.0.2.1 > 192.0.2.2 len 64 len 64", "\"len\" given twice" },
	{ "ip 192.0.2.1 > 192.0.2.2", "ip needs \"proto N\"" },
	{ "udp 192.0.2.1 > 192.0.2.2 proto 6",
	  "\"proto\" goes with ip, not udp (udp names it)" },
	{ "udp 192.0.2.1 > 192.0.2.2 ttl 3",
	  "unknown option \"ttl\" (vlan, flags, type, code, proto, len)" },
	{ "udp [2001:db8::1 > [2001:db8::2]", "\"[2001:db8::1\": no \"]\"" },
};

/* A bad description: one line naming it, nothing run, exit status 2,
 * even after good descriptions. */
static void test_packet_errors(void **state)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad_descs); i++) {
		char *argv[] = { NULL,	     "test-run",
				 "-c",	     conf,
				 "--packet", "udp 192.0.2.1:1 > 192.0.2.2:53",
				 "--packet", (char *)bad_descs[i].desc,
				 NULL };
		char want[512];
		struct run r;

		snprintf(want, sizeof(want),
			 "sluice: test-run: --packet \"%s\": %s\n",
			 bad_descs[i].desc, bad_descs[i].msg);
		run_sluice(argv, tmpdir, &r);
		assert_string_equal(r.err, want);
		assert_string_equal(r.out, "");
		assert_int_equal(r.status, 2);
		run_free(&r);
	}
}

/* Neither --pcap nor --packet: bad usage. */
static void test_no_packets(void **state)
{
	char *argv[] = { NULL, "test-run", "-c", conf, NULL };
	struct run r;

	run_sluice(argv, tmpdir, &r);
	assert_non_null(strstr(
		r.err,
		"sluice: test-run: no packets: --pcap FILE or --packet PACKET\n"));
	assert_string_equal(r.out, "");
	assert_int_equal(r.status, 2);
	run_free(&r);
}

/*
 * A capture of good frames between bad ones, then a --packet: every frame
 * its line, in order, exit 0.  What the bad ones get differs by hook: the
 * skb harness refuses an IPv4 or IPv6 ethertype with less than a whole IP
 * header after it, and anything over a page; XDP runs the short ones (and
 * the parser calls them malformed) and refuses only what does not fit in
 * a page and 17 fragments.
 */
#define HUGE_LEN (200 * 1024)

static void write_capture(void)
{
	static const char *const frames[] = {
		/* 1 */ "udp 192.0.2.1:1 > 192.0.2.2:53",
		/* 2: IPv4 header cut at 10 bytes */
		"tcp 192.0.2.1:1 > 192.0.2.2:22 flags syn",
		/* 3 */ "tcp 192.0.2.1:1 > 192.0.2.2:22 flags syn",
		/* 4: IPv6 header cut at 30 bytes */
		"udp [2001:db8::1]:1 > [2001:db8::2]:53",
		/* 5: 10 bytes */ "udp 192.0.2.1:1 > 192.0.2.2:53",
		/* 6: Ethernet only, ethertype IPv4 */
		"udp 192.0.2.1:1 > 192.0.2.2:53",
		/* 7: VLAN, IPv4 with options, cut in the options */
		"udp 192.0.2.1:1 > 192.0.2.2:53 vlan 5",
		/* 8: 200 KB, see below */ NULL,
		/* 9 */ "icmp 192.0.2.1 > 192.0.2.2 type 8",
		/* 10: large, but in one page on both hooks (larger ones on
		 * XDP are the multi-buffer case, judged elsewhere) */
		"udp 192.0.2.1:1 > 198.51.100.2:99 len 3500",
	};
	static const uint8_t opts[8] = { 1, 1, 1, 1, 1, 1, 1, 0 };
	pcap_t *pd = pcap_open_dead(DLT_EN10MB, 262144);
	pcap_dumper_t *d;
	struct pkt *p = malloc(sizeof(*p));
	unsigned char *huge = calloc(1, HUGE_LEN);
	size_t i;

	assert_non_null(pd);
	assert_non_null(p);
	assert_non_null(huge);
	d = pcap_dump_open(pd, pcap_path);
	assert_non_null(d);
	for (i = 0; i < ARRAY_SIZE(frames); i++) {
		struct pcap_pkthdr h = { .ts = { 1, i } };
		const unsigned char *data = p->buf;

		if (i == 7) {
			desc_frame(p, "udp 192.0.2.1:1 > 192.0.2.2:53");
			memcpy(huge, p->buf, p->len);
			data = huge;
			h.caplen = h.len = HUGE_LEN;
			pcap_dump((u_char *)d, &h, data);
			continue;
		}
		if (i == 6) {
			/* The description has no IPv4 options: add them. */
			pkt_init(p);
			pkt_eth(p, NULL, NULL);
			pkt_vlan(p, PKT_TPID_8021Q, 5);
			pkt_ipv4(p, "192.0.2.1", "192.0.2.2", 17);
			pkt_ipv4_opts(p, opts, sizeof(opts));
			pkt_udp(p, 1, 53);
			assert_int_equal(pkt_finish(p), 0);
			pkt_truncate(p, 18 + 20 + 4);
		} else {
			desc_frame(p, frames[i]);
		}
		if (i == 1)
			pkt_truncate(p, 14 + 10);
		if (i == 3)
			pkt_truncate(p, 14 + 30);
		if (i == 4)
			pkt_truncate(p, 10);
		if (i == 5)
			pkt_truncate(p, 14);
		h.caplen = h.len = p->len;
		pcap_dump((u_char *)d, &h, data);
	}
	pcap_dump_close(d);
	pcap_close(pd);
	free(p);
	free(huge);
}

static void test_bad_frames(void **state)
{
	const char *hook = *state;
	bool tc = !strcmp(hook, "tc");
	char *argv[] = {
		NULL,	    "test-run",
		"-c",	    conf,
		"--hook",   (char *)hook,
		"--pcap",   pcap_path,
		"--packet", "tcp [2001:db8::1]:1 > [2001:db8::2]:22 flags ack",
		NULL
	};
	const char *harness = "verdict error rule - reason harness error";
	char *want;
	struct run r;

	write_capture();
	if (asprintf(
		    &want,
		    "packet 1 verdict drop rule 10 reason rule\n"
		    "packet 2 %s\n"
		    "packet 3 verdict drop rule 20 reason rule\n"
		    "packet 4 %s\n"
		    "packet 5 verdict error rule - reason shorter than Ethernet\n"
		    "packet 6 %s\n"
		    "packet 7 verdict pass rule - reason malformed\n"
		    "packet 8 %s \"%s\"\n"
		    "packet 9 verdict drop rule 40 reason rule\n"
		    "packet 10 verdict pass rule policy reason policy\n"
		    "packet 11 verdict drop rule 60 reason rule\n",
		    tc ? "verdict error rule - reason harness error \"Invalid argument\"" :
			 "verdict pass rule - reason malformed",
		    tc ? "verdict error rule - reason harness error \"Invalid argument\"" :
			 "verdict pass rule - reason malformed",
		    tc ? "verdict error rule - reason harness error \"Invalid argument\"" :
			 "verdict pass rule - reason malformed",
		    harness,
		    tc ? "Invalid argument" : "Cannot allocate memory") < 0)
		abort();
	run_sluice(argv, tmpdir, &r);
	assert_string_equal(r.err, "");
	assert_string_equal(r.out, want);
	assert_int_equal(r.status, 0);
	run_free(&r);
	free(want);
}

/* A broken capture is still an error: non-zero, one line. */
static void test_broken_capture(void **state)
{
	char *argv[] = { NULL, "test-run", "-c", conf, "--pcap", conf, NULL };
	struct run r;

	run_sluice(argv, tmpdir, &r);
	assert_int_equal(r.status, 1);
	assert_string_equal(r.out, "");
	assert_non_null(strstr(r.err, "sluice: "));
	assert_non_null(strchr(r.err, '\n'));
	assert_int_equal(strchr(r.err, '\n')[1], '\0');
	run_free(&r);
}

static int group_setup(void **state)
{
	FILE *f;

	snprintf(tmpdir, sizeof(tmpdir), "/tmp/sluice-tr-XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	snprintf(conf, sizeof(conf), "%s/tr.conf", tmpdir);
	snprintf(pcap_path, sizeof(pcap_path), "%s/bad.pcap", tmpdir);
	f = fopen(conf, "w");
	if (!f || fputs(CONFIG, f) < 0 || fclose(f))
		return -1;
	return 0;
}

static int group_teardown(void **state)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) ? -1 : 0;
}

int main(void)
{
	static const char *const hooks[] = { "xdp", "tc" };
	struct CMUnitTest tests[] = {
		cmocka_unit_test_prestate(test_packet_verdicts,
					  (void *)hooks[0]),
		cmocka_unit_test_prestate(test_packet_verdicts,
					  (void *)hooks[1]),
		cmocka_unit_test_prestate(test_bad_frames, (void *)hooks[0]),
		cmocka_unit_test_prestate(test_bad_frames, (void *)hooks[1]),
		cmocka_unit_test(test_packet_json),
		cmocka_unit_test(test_packet_bytes),
		cmocka_unit_test(test_packet_errors),
		cmocka_unit_test(test_no_packets),
		cmocka_unit_test(test_broken_capture),
	};

	tests[0].name = "--packet verdicts, xdp";
	tests[1].name = "--packet verdicts, tc";
	tests[2].name = "bad, short, tiny and huge frames: a line each, xdp";
	tests[3].name = "bad, short, tiny and huge frames: a line each, tc";
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
