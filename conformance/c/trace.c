/* Loop trace points and per-event trace callbacks. */
#include "common.h"

static void loop_trace(enum tevent_trace_point p, void *pvt)
{
	T("trace %s pvt=%s", trace_name(p), nm(pvt));
}

static void im_trace(struct tevent_immediate *im, enum tevent_event_trace_point p, void *pvt)
{
	T("trace_immediate %s %s", nm_trace(im, p == TEVENT_EVENT_TRACE_ATTACH), event_trace_name(p));
}

static void timer_trace(struct tevent_timer *te, enum tevent_event_trace_point p, void *pvt)
{
	T("trace_timer %s %s", nm_trace(te, p == TEVENT_EVENT_TRACE_ATTACH), event_trace_name(p));
}

static void fd_trace(struct tevent_fd *fde, enum tevent_event_trace_point p, void *pvt)
{
	T("trace_fd %s %s", nm_trace(fde, p == TEVENT_EVENT_TRACE_ATTACH), event_trace_name(p));
}

static void signal_trace(struct tevent_signal *se, enum tevent_event_trace_point p, void *pvt)
{
	T("trace_signal %s %s", nm_trace(se, p == TEVENT_EVENT_TRACE_ATTACH), event_trace_name(p));
}

static void queue_trace(struct tevent_queue_entry *qe, enum tevent_event_trace_point p, void *pvt)
{
	T("trace_queue %s %s", nm_trace(qe, p == TEVENT_EVENT_TRACE_ATTACH), event_trace_name(p));
}

static void im_handler(struct tevent_context *e, struct tevent_immediate *im, void *pvt)
{
	T("immediate %s", nm(im));
}

static void timer_handler(struct tevent_context *e, struct tevent_timer *te,
			  struct timeval now, void *pvt)
{
	T("timer %s", nm(te));
}

static void fd_handler(struct tevent_context *e, struct tevent_fd *fde, uint16_t flags, void *pvt)
{
	char buf[8];
	T("fd %s flags=%u read=%zd", nm(fde), flags, read(*(int *)pvt, buf, sizeof(buf)));
}

static void sig_handler(struct tevent_context *e, struct tevent_signal *se, int signum,
			int count, void *siginfo, void *pvt)
{
	T("signal %s count=%d", nm(se), count);
}

static void trigger(struct tevent_req *req, void *pvt)
{
	T("trigger %s", nm(req));
}

static void req_cb(struct tevent_req *req)
{
	T("cb %s", nm(req));
}

int main(void)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct tevent_context *ev = tevent_context_init(mem);
	struct tevent_immediate *im1 = tevent_create_immediate(mem);
	struct tevent_immediate *im2 = tevent_create_immediate(mem);
	struct tevent_timer *t1, *t2;
	struct tevent_fd *fde;
	struct tevent_signal *se;
	struct tevent_queue *q;
	struct tevent_queue_entry *qe;
	struct tevent_req *req;
	void *st;
	void *p1 = talloc_new(mem);
	int sv[2];
	tevent_trace_callback_t got_cb;
	void *got_pvt;

	reg_auto(im1, "im1");
	reg_auto(im2, "im2");
	reg_auto(p1, "p1");

	SECTION("loop trace points");
	tevent_set_trace_callback(ev, loop_trace, p1);
	tevent_get_trace_callback(ev, &got_cb, &got_pvt);
	T("get_trace_callback same=%d pvt=%s", got_cb == loop_trace, nm(got_pvt));
	tevent_schedule_immediate(im1, ev, im_handler, NULL);
	LABEL("tz");
	t1 = tevent_add_timer(ev, mem, tevent_timeval_zero(), timer_handler, NULL);
	reg_auto(t1, "tz");
	LABEL(NULL);
	LABEL("t+20ms");
	t2 = tevent_add_timer(ev, mem, tevent_timeval_current_ofs(0, 20000), timer_handler, NULL);
	reg_auto(t2, "t+20ms");
	LABEL(NULL);
	loop_once(ev);
	loop_once(ev);
	/* # note: when tevent_loop_once has to wait, BEFORE_WAIT/AFTER_WAIT surround the wait and the timer that ended the wait runs in the same loop_once, after AFTER_WAIT */
	loop_once(ev);
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	LABEL("fd0");
	fde = tevent_add_fd(ev, mem, sv[0], TEVENT_FD_READ, fd_handler, &sv[0]);
	reg_auto(fde, "fd0");
	LABEL(NULL);
	write(sv[1], "a", 1);
	loop_once(ev);
	TALLOC_FREE(fde);
	T("loop_wait on empty context:");
	loop_wait(ev);
	tevent_set_trace_callback(ev, NULL, NULL);

	/* # note: per-event traces: ATTACH when added/scheduled (before the add returns), BEFORE_HANDLER just before the handler, DETACH after the handler returns (a fired timer is detached when it is freed right after); rescheduling an immediate or tevent_update_timer gives DETACH then ATTACH; freeing an unscheduled immediate gives no trace */
	SECTION("immediate trace");
	tevent_set_trace_immediate_callback(ev, im_trace, NULL);
	tevent_schedule_immediate(im1, ev, im_handler, NULL);
	tevent_schedule_immediate(im2, ev, im_handler, NULL);
	T("reschedule im1");
	tevent_schedule_immediate(im1, ev, im_handler, NULL);
	loop_once(ev);
	T("cancel im1 with NULL handler");
	tevent_schedule_immediate(im1, ev, NULL, NULL);
	T("free im2 (not scheduled)");
	TALLOC_FREE(im2);
	LABEL("im2");
	im2 = tevent_create_immediate(mem);
	reg_auto(im2, "im2");
	LABEL(NULL);
	tevent_schedule_immediate(im2, ev, im_handler, NULL);
	T("free im2 (scheduled)");
	TALLOC_FREE(im2);
	T("post a request");
	LABEL("req1");
	req = tevent_req_create(mem, &st, void *);
	reg_auto(req, "req1");
	LABEL(NULL);
	tevent_req_set_callback(req, req_cb, NULL);
	tevent_req_done(req);
	tevent_req_post(req, ev);
	loop_once(ev);
	TALLOC_FREE(req);
	loop_wait(ev);
	tevent_set_trace_immediate_callback(ev, NULL, NULL);

	SECTION("timer trace");
	tevent_set_trace_timer_callback(ev, timer_trace, NULL);
	LABEL("t1");
	t1 = tevent_add_timer(ev, mem, tevent_timeval_set(1, 0), timer_handler, NULL);
	reg_auto(t1, "t1");
	LABEL(NULL);
	LABEL("t2");
	t2 = tevent_add_timer(ev, mem, tevent_timeval_set(2, 0), timer_handler, NULL);
	reg_auto(t2, "t2");
	LABEL(NULL);
	T("update t2");
	tevent_update_timer(t2, tevent_timeval_set(0, 5));
	loop_once(ev);
	T("free t1");
	TALLOC_FREE(t1);
	loop_wait(ev);
	tevent_set_trace_timer_callback(ev, NULL, NULL);

	SECTION("fd trace");
	tevent_set_trace_fd_callback(ev, fd_trace, NULL);
	LABEL("fd0");
	fde = tevent_add_fd(ev, mem, sv[0], TEVENT_FD_READ, fd_handler, &sv[0]);
	reg_auto(fde, "fd0");
	LABEL(NULL);
	write(sv[1], "b", 1);
	loop_once(ev);
	T("set_flags 0");
	tevent_fd_set_flags(fde, 0);
	T("free fd0");
	TALLOC_FREE(fde);
	tevent_set_trace_fd_callback(ev, NULL, NULL);

	SECTION("signal trace");
	tevent_set_trace_signal_callback(ev, signal_trace, NULL);
	LABEL("se1");
	se = tevent_add_signal(ev, mem, SIGUSR1, 0, sig_handler, NULL);
	reg_auto(se, "se1");
	LABEL(NULL);
	raise(SIGUSR1);
	loop_once(ev);
	T("free se1");
	TALLOC_FREE(se);
	LABEL("se2");
	se = tevent_add_signal(ev, mem, SIGUSR2, SA_RESETHAND, sig_handler, NULL);
	reg_auto(se, "se2");
	LABEL(NULL);
	raise(SIGUSR2);
	loop_once(ev);
	tevent_set_trace_signal_callback(ev, NULL, NULL);
	tevent_set_trace_immediate_callback(ev, im_trace, NULL);
	loop_wait(ev);
	tevent_set_trace_immediate_callback(ev, NULL, NULL);

	/* # note: queue entries trace ATTACH on add, BEFORE_HANDLER just before the trigger (also for the direct trigger of add_optimize_empty) and DETACH when the entry is freed; the queue's own immediate shows up in the immediate trace */
	SECTION("queue trace");
	tevent_set_trace_queue_callback(ev, queue_trace, NULL);
	tevent_set_trace_immediate_callback(ev, im_trace, NULL);
	q = tevent_queue_create(mem, "q");
	LABEL("req2");
	req = tevent_req_create(mem, &st, void *);
	reg_auto(req, "req2");
	LABEL(NULL);
	LABEL("qe2");
	qe = tevent_queue_add_entry(q, ev, req, trigger, NULL);
	reg_auto(qe, "qe2");
	LABEL(NULL);
	loop_once(ev);
	T("free req2");
	TALLOC_FREE(req);
	LABEL("req3");
	req = tevent_req_create(mem, &st, void *);
	reg_auto(req, "req3");
	LABEL(NULL);
	LABEL("qe3");
	qe = tevent_queue_add_optimize_empty(q, ev, req, trigger, NULL);
	reg_auto(qe, "qe3");
	LABEL(NULL);
	T("free qe3");
	TALLOC_FREE(qe);
	TALLOC_FREE(req);
	loop_wait(ev);
	tevent_set_trace_queue_callback(ev, NULL, NULL);
	tevent_set_trace_immediate_callback(ev, NULL, NULL);

	SECTION("end");
	close(sv[0]);
	close(sv[1]);
	talloc_free(mem);
	return 0;
}
