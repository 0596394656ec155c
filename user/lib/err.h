/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The one way the library and its programs write an error: a one-line,
 * lowercase message into a caller's buffer of SL_ERR_LEN (or NULL).
 */
#ifndef __SLUICE_ERR_H
#define __SLUICE_ERR_H

#include <stdarg.h>
#include <stddef.h>

/* Room for any one-line error the library writes. */
#define SL_ERR_LEN 256

/*
 * Format into err when there is one.  Returns -EINVAL, the error of most
 * messages, so that a parser can "return sl_err(...)".
 */
int sl_err(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int sl_verr(char *err, size_t errlen, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

/* strerror(e) as our messages write it: lowercase ("no such file..."). */
const char *sl_strerror(int e, char *buf, size_t len);

#endif /* __SLUICE_ERR_H */
