/*
 * Event contexts and loops: tevent_context_init_byname, tevent_backend_list,
 * tevent_num_signals, tevent_loop_until, nested loops with
 * tevent_loop_allow_nesting and tevent_set_abort_fn.
 */
/* tevent_loop_until and tevent_loop_allow_nesting are deprecated in tevent.h */
#define TEVENT_DEPRECATED 1
#include "common.h"
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"

static int finished_calls;
static int fired;

static void loop_trace(enum tevent_trace_point p, void *pvt)
{
	T("trace %s", trace_name(p));
}

static void timer_handler(struct tevent_context *e, struct tevent_timer *te,
			  struct timeval now, void *pvt)
{
	fired++;
	T("timer %s fired=%d", nm(te), fired);
}

static void im_handler(struct tevent_context *e, struct tevent_immediate *im, void *pvt)
{
	fired++;
	T("immediate %s fired=%d", nm(im), fired);
}

static bool finished_after(void *pvt)
{
	int *n = pvt;
	bool r = fired >= *n;
	finished_calls++;
	T("finished? fired=%d want=%d -> %d", fired, *n, r);
	return r;
}

static void abort_fn(const char *reason)
{
	/* the C reason ends in " at <location>" */
	char buf[256];
	char *at;
	snprintf(buf, sizeof(buf), "%s", reason);
	at = strstr(buf, " at ");
	if (at != NULL) {
		*at = 0;
	}
	T("abort_fn reason=\"%s\"", buf);
}

static struct tevent_immediate *im_inner;

static void inner_handler(struct tevent_context *e, struct tevent_immediate *im, void *pvt)
{
	T("inner immediate %s", nm(im));
}

static int nested_ret = 99;

static void outer_handler(struct tevent_context *e, struct tevent_immediate *im, void *pvt)
{
	T("outer immediate %s: nested loop_once", nm(im));
	errno = 0;
	nested_ret = tevent_loop_once(e);
	T("outer immediate %s: nested returned errno=%s", nm(im), errno == ELOOP ? "ELOOP" : errno == 0 ? "0" : "?");
}

int main(void)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct tevent_context *ev, *ev2;
	const char **list;
	const char *names[] = { "epoll", "poll", "poll_mt", "standard", "select", "", "EPOLL", "epoll " };
	struct tevent_immediate *im1, *im2;
	struct tevent_timer *t;
	int i, n, ret;
	char line[256];
	const char *sorted[16];
	int ns = 0;

	SECTION("tevent_backend_list");
	list = tevent_backend_list(mem);
	for (i = 0; list != NULL && list[i] != NULL && ns < 16; i++) {
		sorted[ns++] = list[i];
	}
	/* # note: printed sorted: C lists "standard epoll poll_mt poll" (registration order); the port's order differs (reported) */
	for (i = 0; i < ns; i++) {
		int j;
		for (j = i + 1; j < ns; j++) {
			if (strcmp(sorted[j], sorted[i]) < 0) {
				const char *x = sorted[i];
				sorted[i] = sorted[j];
				sorted[j] = x;
			}
		}
	}
	line[0] = 0;
	for (i = 0; i < ns; i++) {
		strcat(line, " ");
		strcat(line, sorted[i]);
	}
	T("backends (%d):%s", ns, line);

	SECTION("tevent_context_init_byname");
	for (i = 0; i < (int)(sizeof(names) / sizeof(names[0])); i++) {
		errno = 0;
		ev2 = tevent_context_init_byname(mem, names[i]);
		T("init_byname \"%s\" -> %s", names[i], ev2 ? "ctx" : "NULL");
		if (ev2 != NULL) {
			T("  parent is mem=%d", talloc_parent(ev2) == mem);
			fired = 0;
			t = tevent_add_timer(ev2, ev2, tevent_timeval_zero(), timer_handler, NULL);
			reg_auto(t, "tz");
			im1 = tevent_create_immediate(ev2);
			reg_auto(im1, "im");
			tevent_schedule_immediate(im1, ev2, im_handler, NULL);
			loop_wait(ev2);
			talloc_free(ev2);
		}
	}

	SECTION("tevent_num_signals");
	T("num_signals=%zu", tevent_num_signals());

	ev = tevent_context_init(mem);

	SECTION("tevent_loop_until");
	tevent_set_trace_callback(ev, loop_trace, NULL);
	fired = 0;
	finished_calls = 0;
	n = 0;
	T("already finished:");
	ret = tevent_loop_until(ev, finished_after, &n);
	T("loop_until ret=%d finished_calls=%d", ret, finished_calls);
	im1 = tevent_create_immediate(mem);
	reg_auto(im1, "im1");
	tevent_schedule_immediate(im1, ev, im_handler, NULL);
	t = tevent_add_timer(ev, mem, tevent_timeval_zero(), timer_handler, NULL);
	reg_auto(t, "tz");
	t = tevent_add_timer(ev, mem, tevent_timeval_current_ofs(0, 20000), timer_handler, NULL);
	reg_auto(t, "t+20ms");
	t = tevent_add_timer(ev, mem, tevent_timeval_current_ofs(0, 40000), timer_handler, NULL);
	reg_auto(t, "t+40ms");
	n = 3;
	finished_calls = 0;
	T("until 3 fired:");
	ret = tevent_loop_until(ev, finished_after, &n);
	T("loop_until ret=%d finished_calls=%d", ret, finished_calls);
	n = 4;
	finished_calls = 0;
	T("until 4 fired:");
	ret = tevent_loop_until(ev, finished_after, &n);
	T("loop_until ret=%d finished_calls=%d", ret, finished_calls);
	tevent_set_trace_callback(ev, NULL, NULL);

	SECTION("nested loop_once without allow_nesting, with an abort fn");
	/* # note: without an abort fn C aborts the process here (the port returns -1/ELOOP: docs/README.md) */
	/* # note: when the abort fn returns, C's context stays at nesting level 2: every later tevent_loop_once on it fails the same way, so this uses a context of its own and frees it */
	tevent_set_abort_fn(abort_fn);
	ev2 = tevent_context_init(mem);
	im1 = tevent_create_immediate(ev2);
	reg_auto(im1, "outer1");
	im_inner = tevent_create_immediate(ev2);
	reg_auto(im_inner, "inner1");
	tevent_schedule_immediate(im1, ev2, outer_handler, NULL);
	tevent_schedule_immediate(im_inner, ev2, inner_handler, NULL);
	loop_once(ev2);
	T("nested ret=%d", nested_ret);
	talloc_free(ev2);

	SECTION("nested loop_once with allow_nesting");
	tevent_loop_allow_nesting(ev);
	tevent_set_trace_callback(ev, loop_trace, NULL);
	im2 = tevent_create_immediate(mem);
	reg_auto(im2, "outer2");
	im_inner = tevent_create_immediate(mem);
	reg_auto(im_inner, "inner1");
	tevent_schedule_immediate(im2, ev, outer_handler, NULL);
	tevent_schedule_immediate(im_inner, ev, inner_handler, NULL);
	nested_ret = 99;
	loop_once(ev);
	T("nested ret=%d", nested_ret);
	tevent_set_trace_callback(ev, NULL, NULL);
	T("allow_nesting again");
	tevent_loop_allow_nesting(ev);
	tevent_schedule_immediate(im2, ev, outer_handler, NULL);
	t = tevent_add_timer(ev, mem, tevent_timeval_zero(), timer_handler, NULL);
	reg_auto(t, "tz2");
	loop_once(ev);
	T("nested ret=%d", nested_ret);
	loop_wait(ev);
	tevent_set_abort_fn(NULL);

	SECTION("end");
	talloc_free(mem);
	return 0;
}
