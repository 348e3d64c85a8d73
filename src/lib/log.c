// SPDX-License-Identifier: GPL-2.0-or-later
/* Process-wide logging: text or runc-style JSON lines, one write() per line. */
#include <cella/log.h>

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <cella/cleanup.h>
#include <cella/timefmt.h>
#include <cella/xalloc.h>

/* The settings; the lock also keeps a line's write() from racing a re-init closing the fd. */
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static int log_fd = STDERR_FILENO;
static bool log_fd_owned;
static enum cella_log_format log_format = CELLA_LOG_TEXT;
static enum cella_log_level log_level = CELLA_LOG_INFO;

/*
 * fork() while another thread holds log_lock would leave the child's copy
 * locked forever: hold the lock across fork() so both sides start unlocked.
 */
static void log_atfork_prepare(void)
{
	pthread_mutex_lock(&log_lock);
}

static void log_atfork_release(void)
{
	pthread_mutex_unlock(&log_lock);
}

__attribute__((constructor)) static void log_register_atfork(void)
{
	pthread_atfork(log_atfork_prepare, log_atfork_release, log_atfork_release);
}

static const char *const level_names[] = {
	[CELLA_LOG_ERROR] = "error",
	[CELLA_LOG_WARNING] = "warning",
	[CELLA_LOG_INFO] = "info",
	[CELLA_LOG_DEBUG] = "debug",
};

const char *cella_log_level_name(enum cella_log_level level)
{
	if ((unsigned)level >= sizeof(level_names) / sizeof(level_names[0]))
		return "unknown";
	return level_names[level];
}

int cella_log_parse_level(const char *str, enum cella_log_level *out, cella_err_t *err)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++) {
		if (strcasecmp(str, level_names[i]) == 0) {
			*out = (enum cella_log_level)i;
			return 0;
		}
	}
	if (strcasecmp(str, "warn") == 0) {
		*out = CELLA_LOG_WARNING;
		return 0;
	}
	return cella_error_make(err, 0, "invalid log level '%s' (expected error, warning, info or debug)",
				str);
}

int cella_log_parse_format(const char *str, enum cella_log_format *out, cella_err_t *err)
{
	if (strcmp(str, "text") == 0) {
		*out = CELLA_LOG_TEXT;
		return 0;
	}
	if (strcmp(str, "json") == 0) {
		*out = CELLA_LOG_JSON;
		return 0;
	}
	return cella_error_make(err, 0, "invalid log format '%s' (expected text or json)", str);
}

int cella_log_init(const char *path, enum cella_log_format format, enum cella_log_level level,
		   cella_err_t *err)
{
	int fd = STDERR_FILENO;

	if ((unsigned)format > CELLA_LOG_JSON)
		return cella_error_make(err, EINVAL, "log: invalid format %d", (int)format);
	if ((unsigned)level > CELLA_LOG_DEBUG)
		return cella_error_make(err, EINVAL, "log: invalid level %d", (int)level);
	if (path != NULL) {
		fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
		if (fd < 0)
			return cella_error_sys(err, "open log file '%s'", path);
	}
	pthread_mutex_lock(&log_lock);
	if (log_fd_owned)
		close(log_fd);
	log_fd = fd;
	log_fd_owned = path != NULL;
	log_format = format;
	log_level = level;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

void cella_log_close(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_fd_owned)
		close(log_fd);
	log_fd = STDERR_FILENO;
	log_fd_owned = false;
	log_format = CELLA_LOG_TEXT;
	log_level = CELLA_LOG_INFO;
	pthread_mutex_unlock(&log_lock);
}

int cella_log_fd(void)
{
	int fd;

	pthread_mutex_lock(&log_lock);
	fd = log_fd;
	pthread_mutex_unlock(&log_lock);
	return fd;
}

bool cella_log_enabled(enum cella_log_level level)
{
	bool on;

	pthread_mutex_lock(&log_lock);
	on = level <= log_level;
	pthread_mutex_unlock(&log_lock);
	return on;
}

/* jansson refuses invalid UTF-8; a message quoting hostile bytes must still be logged. */
static json_t *json_string_lossy(const char *s)
{
	json_t *j = json_string(s);
	char *copy;

	if (j != NULL)
		return j;
	copy = xstrdup(s);
	for (char *p = copy; *p; p++) {
		if ((unsigned char)*p >= 0x80)
			*p = '?';
	}
	j = json_string(copy);
	free(copy);
	return j;
}

static char *format_json(enum cella_log_level level, const char *msg, const char *when)
{
	_cleanup_free_ char *text = NULL;
	json_t *obj;

	obj = json_pack("{s:s, s:o, s:s}", "level", cella_log_level_name(level), "msg",
			json_string_lossy(msg), "time", when);
	if (obj == NULL)
		cella_xalloc_die("json_pack", 0);
	text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(obj);
	if (text == NULL)
		cella_xalloc_die("json_dumps", 0);
	return xasprintf("%s\n", text);
}

/* Control characters would let a hostile string forge extra log lines: show them as \xNN. */
static char *escape_controls(const char *msg)
{
	size_t n = 0;
	char *out, *q;

	for (const char *p = msg; *p; p++)
		n += ((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f ? 4 : 1;
	out = xmalloc(n + 1);
	q = out;
	for (const char *p = msg; *p; p++) {
		if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) {
			snprintf(q, 5, "\\x%02x", (unsigned char)*p);
			q += 4;
		} else {
			*q++ = *p;
		}
	}
	*q = '\0';
	return out;
}

/* Text: "level: msg" on stderr, where a person reads it; timestamped in a file. */
static char *format_text(enum cella_log_level level, const char *raw, const char *when, bool to_file)
{
	_cleanup_free_ char *msg = escape_controls(raw);

	if (to_file)
		return xasprintf("%s %s[%ld]: %s: %s\n", when, program_invocation_short_name, (long)getpid(),
				 cella_log_level_name(level), msg);
	return xasprintf("%s: %s: %s\n", program_invocation_short_name, cella_log_level_name(level), msg);
}

static void write_line(int fd, const char *line)
{
	size_t len = strlen(line);

	/* One write() per line keeps lines whole; a partial write (rare: pipe, full disk) is completed. */
	while (len > 0) {
		ssize_t n = write(fd, line, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return; /* nowhere left to report a failure to log */
		line += n;
		len -= (size_t)n;
	}
}

static void log_va(enum cella_log_level level, const char *fmt, va_list ap)
{
	_cleanup_free_ char *msg = NULL;
	_cleanup_free_ char *line = NULL;
	char when[CELLA_TIME_RFC3339_MAX];
	struct timespec now;
	int saved = errno;

	pthread_mutex_lock(&log_lock);
	if (level > log_level) {
		pthread_mutex_unlock(&log_lock);
		errno = saved;
		return;
	}
	msg = xvasprintf(fmt, ap);
	clock_gettime(CLOCK_REALTIME, &now);
	if (cella_time_rfc3339(when, sizeof(when), now) < 0)
		snprintf(when, sizeof(when), "unknown");
	if (log_format == CELLA_LOG_JSON)
		line = format_json(level, msg, when);
	else
		line = format_text(level, msg, when, log_fd_owned);
	write_line(log_fd, line);
	pthread_mutex_unlock(&log_lock);
	errno = saved;
}

void cella_log(enum cella_log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_va(level, fmt, ap);
	va_end(ap);
}

void cella_log_error_obj(const cella_err_t err)
{
	cella_log(CELLA_LOG_ERROR, "%s", cella_error_string(err));
}
