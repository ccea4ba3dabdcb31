/*
 * Shared helpers for the C conformance scenarios.
 * Every scenario prints one canonical event per line on stdout.
 */
#ifndef CONFORMANCE_COMMON_H
#define CONFORMANCE_COMMON_H

#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <stdbool.h>
#include <errno.h>
#include <unistd.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <talloc.h>
#include <tevent.h>

#define T(...) do { printf(__VA_ARGS__); putchar('\n'); fflush(stdout); } while (0)
#define SECTION(name) T("== %s", name)

/* pointer -> label registry, newest registration wins (pointers get reused) */
static struct { const void *p; const char *n; } reg_tab[1024];
static int reg_n;

static inline void reg(const void *p, const char *n)
{
	if (reg_n < 1024) {
		reg_tab[reg_n].p = p;
		reg_tab[reg_n].n = n;
		reg_n++;
	}
}

static inline const char *nm(const void *p)
{
	int i;
	if (p == NULL) {
		return "NULL";
	}
	for (i = reg_n - 1; i >= 0; i--) {
		if (reg_tab[i].p == p) {
			return reg_tab[i].n;
		}
	}
	return "?";
}

/*
 * Registration that forgets the pointer when the object is freed (a talloc
 * child carries the unregistration), so reused addresses never get a stale name.
 */
static int unreg_destructor(const void **h)
{
	int i;
	for (i = 0; i < reg_n; i++) {
		if (reg_tab[i].p == *h) {
			reg_tab[i].p = NULL;
		}
	}
	return 0;
}

static inline void reg_auto(const void *p, const char *n)
{
	const void **h;
	if (strcmp(nm(p), n) == 0) {
		return;
	}
	reg(p, n);
	h = talloc(p, const void *);
	*h = p;
	talloc_set_destructor(h, unreg_destructor);
}

/* label for the next object announced by an ATTACH trace point */
static const char *pending_label;
#define LABEL(n) (pending_label = (n))

static inline const char *nm_trace(const void *p, bool attach)
{
	const char *n = nm(p);
	if (strcmp(n, "?") == 0 && attach && pending_label != NULL) {
		reg_auto(p, pending_label);
		n = pending_label;
		pending_label = NULL;
	}
	return n;
}

static inline const char *state_name(enum tevent_req_state s)
{
	switch (s) {
	case TEVENT_REQ_INIT: return "TEVENT_REQ_INIT";
	case TEVENT_REQ_IN_PROGRESS: return "TEVENT_REQ_IN_PROGRESS";
	case TEVENT_REQ_DONE: return "TEVENT_REQ_DONE";
	case TEVENT_REQ_USER_ERROR: return "TEVENT_REQ_USER_ERROR";
	case TEVENT_REQ_TIMED_OUT: return "TEVENT_REQ_TIMED_OUT";
	case TEVENT_REQ_NO_MEMORY: return "TEVENT_REQ_NO_MEMORY";
	case TEVENT_REQ_RECEIVED: return "TEVENT_REQ_RECEIVED";
	}
	return "TEVENT_REQ_?";
}

static inline const char *event_trace_name(enum tevent_event_trace_point p)
{
	switch (p) {
	case TEVENT_EVENT_TRACE_ATTACH: return "ATTACH";
	case TEVENT_EVENT_TRACE_DETACH: return "DETACH";
	case TEVENT_EVENT_TRACE_BEFORE_HANDLER: return "BEFORE_HANDLER";
	}
	return "?";
}

static inline const char *trace_name(enum tevent_trace_point p)
{
	switch (p) {
	case TEVENT_TRACE_BEFORE_WAIT: return "BEFORE_WAIT";
	case TEVENT_TRACE_AFTER_WAIT: return "AFTER_WAIT";
	case TEVENT_TRACE_BEFORE_LOOP_ONCE: return "BEFORE_LOOP_ONCE";
	case TEVENT_TRACE_AFTER_LOOP_ONCE: return "AFTER_LOOP_ONCE";
	}
	return "?";
}

/* prints "<label> state=... error=..." using tevent_req_is_error */
static inline void print_is_error(const char *label, struct tevent_req *req)
{
	enum tevent_req_state st = TEVENT_REQ_INIT;
	uint64_t err = 0;
	bool ret = tevent_req_is_error(req, &st, &err);
	if (ret) {
		T("%s is_error=1 state=%s error=%llu", label, state_name(st),
		  (unsigned long long)err);
	} else {
		T("%s is_error=0", label);
	}
}

/* a talloc child whose destructor announces the death of its parent */
static int watch_destructor(void *p)
{
	T("destructor %s", nm(p));
	return 0;
}

static inline void *watch(const void *parent, const char *label)
{
	void *w = talloc_new(parent);
	reg(w, label);
	talloc_set_destructor(w, watch_destructor);
	return w;
}

static inline void loop_once(struct tevent_context *ev)
{
	int ret = tevent_loop_once(ev);
	T("loop_once ret=%d", ret);
}

static inline void loop_wait(struct tevent_context *ev)
{
	int ret = tevent_loop_wait(ev);
	T("loop_wait ret=%d", ret);
}

#endif
