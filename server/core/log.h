/* Structured logs to stderr, one line per event in logfmt:
 *   ts=2024-11-27T06:00:01.123Z level=info event=listen addr=127.0.0.1:8080
 * `event` is a short snake_case name a machine can grep for; the rest of the
 * line is printf-formatted key=value pairs chosen by the caller. */
#ifndef SUARA_CORE_LOG_H
#define SUARA_CORE_LOG_H

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

void log_set_level(enum log_level min);
int log_parse_level(const char *text, enum log_level *out);
void log_event(enum log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define log_debug(ev, ...) log_event(LOG_DEBUG, ev, __VA_ARGS__)
#define log_info(ev, ...) log_event(LOG_INFO, ev, __VA_ARGS__)
#define log_warn(ev, ...) log_event(LOG_WARN, ev, __VA_ARGS__)
#define log_error(ev, ...) log_event(LOG_ERROR, ev, __VA_ARGS__)

#endif
