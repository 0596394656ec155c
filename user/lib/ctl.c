/* SPDX-License-Identifier: GPL-2.0-only */
/* The control protocol, client side: see ctl.h. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sys/socket.h>
#include <sys/un.h>

#include <json-c/json.h>

#include "err.h"
#include "ctl.h"

/* A reply this big is a broken daemon, not a big set. */
#define REPLY_READ_MAX (SL_CTL_REPLY_MAX + 4096)

unsigned long long sl_ctl_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

unsigned long long sl_ctl_now_ms(void)
{
	return sl_ctl_now_ns() / 1000000ull;
}

int sl_ctl_connect(const char *path, char *err, size_t errlen)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, ret;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		sl_err(err, errlen, "socket path \"%s\" too long", path);
		return -ENAMETOOLONG;
	}
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		ret = -errno;
		sl_err(err, errlen, "socket: %s", strerror(-ret));
		return ret;
	}
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		ret = -errno;
		close(fd);
		if (ret == -ENOENT || ret == -ECONNREFUSED)
			sl_err(err, errlen,
			       "cannot connect to %s: %s (is sluiced running?)",
			       path, strerror(-ret));
		else if (ret == -EACCES)
			sl_err(err, errlen,
			       "cannot connect to %s: permission denied (root or group %s only)",
			       path, SL_CTL_GROUP);
		else
			sl_err(err, errlen, "cannot connect to %s: %s", path,
			       strerror(-ret));
		return ret;
	}
	return fd;
}

static int send_all(int fd, const char *buf, size_t len, int pass_fd)
{
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *cm;
	ssize_t n;

	while (len) {
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = (void *)buf;
		iov.iov_len = len;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		if (pass_fd >= 0) {
			/* The descriptor rides with the first byte of the line. */
			memset(cbuf, 0, sizeof(cbuf));
			msg.msg_control = cbuf;
			msg.msg_controllen = sizeof(cbuf);
			cm = CMSG_FIRSTHDR(&msg);
			cm->cmsg_level = SOL_SOCKET;
			cm->cmsg_type = SCM_RIGHTS;
			cm->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(cm), &pass_fd, sizeof(int));
		}
		n = sendmsg(fd, &msg, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		pass_fd = -1;
		buf += n;
		len -= n;
	}
	return 0;
}

/* Keep the first descriptor that came (in *recv_fd), close the others. */
static void take_fds(struct msghdr *msg, int *recv_fd)
{
	struct cmsghdr *cm;
	size_t i, n;
	int fd;

	for (cm = CMSG_FIRSTHDR(msg); cm; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			       sizeof(int));
			if (recv_fd && *recv_fd < 0)
				*recv_fd = fd;
			else
				close(fd);
		}
	}
}

/* Read up to the end of one line; the daemon sends nothing unasked. */
static int read_line(int fd, char **out, size_t *outlen, int *recv_fd)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct msghdr msg;
	struct iovec iov;
	size_t len = 0, cap = 0;
	char *buf = NULL, *nb;
	ssize_t n;

	for (;;) {
		if (cap - len < 65536) {
			if (cap >= REPLY_READ_MAX) {
				free(buf);
				return -EMSGSIZE;
			}
			nb = realloc(buf, cap ? cap * 2 : 65536 + 1);
			if (!nb) {
				free(buf);
				return -ENOMEM;
			}
			buf = nb;
			cap = cap ? cap * 2 : 65536 + 1;
		}
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = buf + len;
		iov.iov_len = cap - len - 1;
		msg.msg_iov = &iov;
		msg.msg_iovlen = 1;
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);
		if (n >= 0)
			take_fds(&msg, recv_fd);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			free(buf);
			return -errno;
		}
		if (!n) {
			free(buf);
			return -ECONNRESET;
		}
		len += n;
		if (buf[len - 1] == '\n')
			break;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return 0;
}

int sl_ctl_call(int fd, int argc, char **argv, int pass_fd,
		struct json_object **data, char *err, size_t errlen)
{
	return sl_ctl_call_fd(fd, argc, argv, pass_fd, NULL, data, err, errlen);
}

int sl_ctl_call_fd(int fd, int argc, char **argv, int pass_fd, int *recv_fd,
		   struct json_object **data, char *err, size_t errlen)
{
	struct json_object *req, *words, *reply = NULL, *v;
	enum json_tokener_error jerr;
	const char *text;
	size_t len;
	char *line = NULL;
	int i, ret;

	*data = NULL;
	if (recv_fd)
		*recv_fd = -1;
	req = json_object_new_object();
	words = json_object_new_array();
	if (!req || !words) {
		json_object_put(req);
		json_object_put(words);
		return -ENOMEM;
	}
	json_object_object_add(req, "argv", words);
	for (i = 0; i < argc; i++)
		json_object_array_add(words, json_object_new_string(argv[i]));
	if (pass_fd >= 0)
		json_object_object_add(req, "fd", json_object_new_boolean(1));

	text = json_object_to_json_string_ext(
		req, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
	len = strlen(text);
	if (len >= SL_CTL_LINE_MAX) {
		sl_err(err, errlen, "request too long (%zu bytes, at most %d)",
		       len, SL_CTL_LINE_MAX - 1);
		ret = -EMSGSIZE;
		goto cleanup;
	}
	ret = send_all(fd, text, len, pass_fd);
	if (!ret)
		ret = send_all(fd, "\n", 1, -1);
	if (ret) {
		sl_err(err, errlen, "cannot send to sluiced: %s",
		       strerror(-ret));
		goto cleanup;
	}
	ret = read_line(fd, &line, &len, recv_fd);
	if (ret) {
		if (ret == -ECONNRESET)
			sl_err(err, errlen, "sluiced closed the connection");
		else
			sl_err(err, errlen, "cannot read from sluiced: %s",
			       strerror(-ret));
		goto cleanup;
	}
	reply = json_tokener_parse_verbose(line, &jerr);
	if (!reply || !json_object_is_type(reply, json_type_object) ||
	    !json_object_object_get_ex(reply, "ok", &v)) {
		sl_err(err, errlen, "malformed reply from sluiced");
		ret = -EPROTO;
		goto cleanup;
	}
	if (!json_object_get_boolean(v)) {
		if (json_object_object_get_ex(reply, "error", &v))
			sl_err(err, errlen, "%s", json_object_get_string(v));
		else
			sl_err(err, errlen, "sluiced refused the request");
		ret = -EREMOTEIO;
		goto cleanup;
	}
	if (json_object_object_get_ex(reply, "data", &v))
		*data = json_object_get(v);
	ret = 0;
cleanup:
	if (ret && recv_fd && *recv_fd >= 0) {
		close(*recv_fd);
		*recv_fd = -1;
	}
	free(line);
	json_object_put(reply);
	json_object_put(req);
	return ret;
}
