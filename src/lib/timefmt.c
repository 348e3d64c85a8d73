// SPDX-License-Identifier: GPL-2.0-or-later
/* RFC 3339 timestamps for log lines and API responses. */
#include <cella/timefmt.h>

#include <stdio.h>
#include <time.h>

int cella_time_rfc3339(char *buf, size_t n, struct timespec ts)
{
	struct tm tm;
	int len;

	if (n > 0)
		buf[0] = '\0';
	if (ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L || gmtime_r(&ts.tv_sec, &tm) == NULL)
		return -1;
	/* Years outside 0..9999 are not valid RFC 3339. */
	if (tm.tm_year < -1900 || tm.tm_year > 9999 - 1900)
		return -1;
	/* Not strftime: glibc's %Y does not pad years below 1000 to four digits. */
	len = snprintf(buf, n, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900, tm.tm_mon + 1,
		       tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (long)ts.tv_nsec);
	if (len < 0 || (size_t)len >= n) {
		if (n > 0)
			buf[0] = '\0';
		return -1;
	}
	return len;
}
