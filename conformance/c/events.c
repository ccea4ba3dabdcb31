/* Immediates, timers, and how much one tevent_loop_once does. */
#include "common.h"
#include <sys/time.h>

static struct tevent_context *ev;

static void im_handler(struct tevent_context *e, struct tevent_immediate *im, void *pvt)
{
	T("immediate %s pvt=%s", nm(im), nm(pvt));
}

static struct tevent_immediate *im_extra;
static void im_schedules_handler(struct tevent_context *e, struct tevent_immediate *im, void *pvt)
{
	T("immediate %s schedules %s", nm(im), nm(im_extra));
	tevent_schedule_immediate(im_extra, e, im_handler, NULL);
}

static int resched_count;
static void im_self_resched_handler(struct tevent_context *e, struct tevent_immediate *im, void *pvt)
{
	resched_count++;
	T("immediate %s run=%d", nm(im), resched_count);
	if (resched_count < 3) {
		tevent_schedule_immediate(im, e, im_self_resched_handler, NULL);
	}
}

static void im_free_self_handler(struct tevent_context *e, struct tevent_immediate *im, void *pvt)
{
	T("immediate %s frees itself", nm(im));
	talloc_free(im);
	T("after free inside handler");
}

static void timer_handler(struct tevent_context *e, struct tevent_timer *te,
			  struct timeval now, void *pvt)
{
	T("timer %s pvt=%s", nm(te), nm(pvt));
}

static void timer_free_self_handler(struct tevent_context *e, struct tevent_timer *te,
				    struct timeval now, void *pvt)
{
	T("timer %s frees itself", nm(te));
	talloc_free(te);
	T("after free inside handler");
}

static struct tevent_timer *te_extra;
static void timer_adds_handler(struct tevent_context *e, struct tevent_timer *te,
			       struct timeval now, void *pvt)
{
	T("timer %s adds zero timer", nm(te));
	te_extra = tevent_add_timer(e, e, tevent_timeval_zero(), timer_handler, NULL);
	reg(te_extra, "tz-added");
	T("timer %s schedules immediate", nm(te));
	tevent_schedule_immediate(im_extra, e, im_handler, NULL);
}

static void fd_handler(struct tevent_context *e, struct tevent_fd *fde, uint16_t flags, void *pvt)
{
	char c;
	T("fd %s flags=%u", nm(fde), flags);
	if (flags & TEVENT_FD_READ) {
		T("read ret=%zd", read(*(int *)pvt, &c, 1));
	}
}

static double now_s(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return tv.tv_sec + tv.tv_usec / 1e6;
}

static void im_done_handler(struct tevent_context *e, struct tevent_immediate *im, void *pvt)
{
	T("immediate %s -> done %s", nm(im), nm(pvt));
	tevent_req_done(pvt);
}

static void req_cb(struct tevent_req *req)
{
	T("cb %s", nm(req));
}

int main(void)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct tevent_immediate *im1, *im2, *im3;
	struct tevent_timer *t1, *t2, *t3, *t4;
	struct tevent_fd *fde;
	struct tevent_req *req;
	void *p1, *p2, *st;
	int sv[2];
	double t0;
	bool b;

	ev = tevent_context_init(mem);
	p1 = talloc_new(mem); reg(p1, "p1");
	p2 = talloc_new(mem); reg(p2, "p2");

	/* # note: tevent_loop_once on a context with no events at all blocks for 30 s (epoll timeout) and returns 0; not exercised here */
	SECTION("loop_wait on empty context");
	loop_wait(ev);

	SECTION("immediates FIFO, one per loop_once");
	im1 = tevent_create_immediate(mem); reg(im1, "im1");
	im2 = tevent_create_immediate(mem); reg(im2, "im2");
	im3 = tevent_create_immediate(mem); reg(im3, "im3");
	(void)watch(im1, "im1-child");
	tevent_schedule_immediate(im1, ev, im_handler, p1);
	tevent_schedule_immediate(im2, ev, im_handler, p2);
	tevent_schedule_immediate(im3, ev, im_handler, NULL);
	loop_once(ev);
	loop_once(ev);
	loop_once(ev);
	/* # note: an immediate is not freed after its handler runs (it can be rescheduled); a fired timer is freed right after its handler returns */
	T("im1 still allocated (no destructor above)");

	/* # note: tevent_schedule_immediate on an already scheduled immediate moves it to the end of the queue with the new handler and private data; handler NULL cancels it */
	SECTION("rescheduling a scheduled immediate moves it to the end");
	tevent_schedule_immediate(im1, ev, im_handler, p1);
	tevent_schedule_immediate(im2, ev, im_handler, p2);
	tevent_schedule_immediate(im3, ev, im_handler, NULL);
	tevent_schedule_immediate(im1, ev, im_handler, p2);
	loop_wait(ev);

	SECTION("schedule with NULL handler cancels");
	tevent_schedule_immediate(im1, ev, im_handler, p1);
	tevent_schedule_immediate(im2, ev, im_handler, p2);
	tevent_schedule_immediate(im1, ev, NULL, NULL);
	loop_wait(ev);

	SECTION("freeing a scheduled immediate");
	tevent_schedule_immediate(im1, ev, im_handler, p1);
	tevent_schedule_immediate(im2, ev, im_handler, p2);
	talloc_free(im1);
	loop_wait(ev);
	im1 = tevent_create_immediate(mem); reg(im1, "im1");

	SECTION("scheduling from inside a handler");
	im_extra = im3;
	tevent_schedule_immediate(im1, ev, im_schedules_handler, NULL);
	tevent_schedule_immediate(im2, ev, im_handler, NULL);
	loop_once(ev);
	loop_once(ev);
	loop_once(ev);
	resched_count = 0;
	tevent_schedule_immediate(im1, ev, im_self_resched_handler, NULL);
	tevent_schedule_immediate(im2, ev, im_handler, NULL);
	loop_wait(ev);
	(void)watch(im1, "im1-child");
	tevent_schedule_immediate(im1, ev, im_free_self_handler, NULL);
	loop_wait(ev);
	im1 = tevent_create_immediate(mem); reg(im1, "im1");

	SECTION("timers ordered by deadline, equal deadlines FIFO");
	t1 = tevent_add_timer(ev, mem, tevent_timeval_set(2, 0), timer_handler, p1); reg(t1, "t1@2.0");
	t2 = tevent_add_timer(ev, mem, tevent_timeval_set(1, 0), timer_handler, p2); reg(t2, "t2@1.0");
	t3 = tevent_add_timer(ev, mem, tevent_timeval_set(1, 500000), timer_handler, NULL); reg(t3, "t3@1.5");
	t4 = tevent_add_timer(ev, mem, tevent_timeval_set(1, 0), timer_handler, NULL); reg(t4, "t4@1.0");
	(void)watch(t2, "t2-child");
	loop_once(ev);
	loop_once(ev);
	loop_once(ev);
	loop_once(ev);

	/* # note: timers with equal deadlines fire in the order they were added; a zero timeval sorts before every other deadline */
	SECTION("zero timeval timers first, FIFO among themselves");
	t1 = tevent_add_timer(ev, mem, tevent_timeval_set(1, 0), timer_handler, NULL); reg(t1, "t1@1.0");
	t2 = tevent_add_timer(ev, mem, tevent_timeval_zero(), timer_handler, NULL); reg(t2, "tz1");
	t3 = tevent_add_timer(ev, mem, tevent_timeval_zero(), timer_handler, NULL); reg(t3, "tz2");
	t4 = tevent_add_timer(ev, mem, tevent_timeval_set(0, 1), timer_handler, NULL); reg(t4, "t4@0.000001");
	loop_wait(ev);

	SECTION("tevent_update_timer");
	t1 = tevent_add_timer(ev, mem, tevent_timeval_set(1, 0), timer_handler, NULL); reg(t1, "t1");
	t2 = tevent_add_timer(ev, mem, tevent_timeval_set(2, 0), timer_handler, NULL); reg(t2, "t2");
	t3 = tevent_add_timer(ev, mem, tevent_timeval_set(3, 0), timer_handler, NULL); reg(t3, "t3");
	tevent_update_timer(t1, tevent_timeval_set(2, 0));
	tevent_update_timer(t3, tevent_timeval_set(0, 5));
	loop_wait(ev);

	SECTION("freeing a timer");
	t1 = tevent_add_timer(ev, mem, tevent_timeval_set(1, 0), timer_handler, NULL); reg(t1, "t1");
	t2 = tevent_add_timer(ev, mem, tevent_timeval_set(2, 0), timer_handler, NULL); reg(t2, "t2");
	(void)watch(t1, "t1-child");
	talloc_free(t1);
	loop_wait(ev);
	t1 = tevent_add_timer(ev, mem, tevent_timeval_set(1, 0), timer_free_self_handler, NULL); reg(t1, "t1");
	(void)watch(t1, "t1-child");
	loop_wait(ev);

	SECTION("timer added by a timer handler");
	t1 = tevent_add_timer(ev, mem, tevent_timeval_set(1, 0), timer_adds_handler, NULL); reg(t1, "t1");
	t2 = tevent_add_timer(ev, mem, tevent_timeval_set(1, 0), timer_handler, NULL); reg(t2, "t2");
	im_extra = im3;
	loop_once(ev);
	loop_once(ev);
	loop_once(ev);
	loop_once(ev);

	SECTION("future timer");
	t1 = tevent_add_timer(ev, mem, tevent_timeval_current_ofs(0, 200000), timer_handler, NULL); reg(t1, "t+200ms");
	t2 = tevent_add_timer(ev, mem, tevent_timeval_current_ofs(0, 100000), timer_handler, NULL); reg(t2, "t+100ms");
	t0 = now_s();
	loop_once(ev);
	T("waited>=90ms=%d", now_s() - t0 >= 0.09);
	loop_once(ev);
	T("waited>=190ms=%d", now_s() - t0 >= 0.19);

	/* # note: one tevent_loop_once runs one handler: pending signals first (all signal handlers at once), then one immediate, then one expired timer, then one fd event */
	SECTION("what one loop_once does when several are ready");
	socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
	fde = tevent_add_fd(ev, mem, sv[0], TEVENT_FD_READ, fd_handler, &sv[0]); reg(fde, "fd0");
	write(sv[1], "xy", 2);
	t1 = tevent_add_timer(ev, mem, tevent_timeval_set(1, 0), timer_handler, NULL); reg(t1, "t1");
	t2 = tevent_add_timer(ev, mem, tevent_timeval_set(1, 0), timer_handler, NULL); reg(t2, "t2");
	tevent_schedule_immediate(im1, ev, im_handler, NULL);
	tevent_schedule_immediate(im2, ev, im_handler, NULL);
	loop_once(ev);
	loop_once(ev);
	loop_once(ev);
	loop_once(ev);
	loop_once(ev);
	loop_once(ev);
	write(sv[1], "z", 1);
	t1 = tevent_add_timer(ev, mem, tevent_timeval_current_ofs(30, 0), timer_handler, NULL); reg(t1, "t+30s");
	loop_once(ev);
	TALLOC_FREE(t1);
	TALLOC_FREE(fde);
	close(sv[0]);
	close(sv[1]);

	SECTION("loop_wait runs until no events remain");
	resched_count = 0;
	tevent_schedule_immediate(im1, ev, im_self_resched_handler, NULL);
	t1 = tevent_add_timer(ev, mem, tevent_timeval_set(1, 0), timer_handler, NULL); reg(t1, "t1");
	t2 = tevent_add_timer(ev, mem, tevent_timeval_current_ofs(0, 50000), timer_handler, NULL); reg(t2, "t+50ms");
	loop_wait(ev);

	SECTION("tevent_req_poll");
	req = tevent_req_create(mem, &st, void *); reg(req, "req1");
	tevent_req_set_callback(req, req_cb, NULL);
	tevent_schedule_immediate(im1, ev, im_handler, NULL);
	tevent_schedule_immediate(im2, ev, im_done_handler, req);
	tevent_schedule_immediate(im3, ev, im_handler, NULL);
	b = tevent_req_poll(req, ev);
	T("poll ret=%d", b);
	loop_wait(ev);
	talloc_free(req);

	SECTION("end");
	talloc_free(mem);
	return 0;
}
