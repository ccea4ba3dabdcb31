/* Signal events: counting, priority over immediates, SA_RESETHAND, freeing. */
#include "common.h"

static void sig_handler(struct tevent_context *e, struct tevent_signal *se, int signum,
			int count, void *siginfo, void *pvt)
{
	T("signal %s signum=%d count=%d pvt=%s", nm(se), signum, count, nm(pvt));
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

int main(void)
{
	TALLOC_CTX *mem = talloc_new(NULL);
	struct tevent_context *ev = tevent_context_init(mem);
	struct tevent_signal *se1, *se2, *se3;
	struct tevent_immediate *im1 = tevent_create_immediate(mem);
	struct tevent_timer *te;
	void *p1 = talloc_new(mem);

	reg(im1, "im1");
	reg(p1, "p1");

	SECTION("two raises before the loop: one call with count=2");
	se1 = tevent_add_signal(ev, mem, SIGUSR1, 0, sig_handler, p1);
	reg(se1, "se1");
	(void)watch(se1, "se1-child");
	T("signal_support=%d", tevent_signal_support(ev));
	raise(SIGUSR1);
	raise(SIGUSR1);
	tevent_schedule_immediate(im1, ev, im_handler, NULL);
	reg(tevent_add_timer(ev, mem, tevent_timeval_zero(), timer_handler, NULL), "tz");
	/* # note: a pending signal wins over a pending immediate and an expired timer in tevent_loop_once */
	loop_once(ev);
	loop_once(ev);
	loop_once(ev);
	/* # note: after a signal has been handled, one further tevent_loop_once only drains tevent's internal signal pipe: it returns 0 without running any handler */
	loop_once(ev);

	SECTION("one raise");
	raise(SIGUSR1);
	loop_once(ev);
	loop_once(ev);

	/* # note: two signal events for one signal both run in the same tevent_loop_once, newest first */
	SECTION("two signal events for the same signal");
	se2 = tevent_add_signal(ev, mem, SIGUSR1, 0, sig_handler, NULL);
	reg(se2, "se2");
	raise(SIGUSR1);
	loop_once(ev);
	loop_once(ev);

	SECTION("SA_RESETHAND");
	TALLOC_FREE(se2);
	se3 = tevent_add_signal(ev, mem, SIGUSR2, SA_RESETHAND, sig_handler, NULL);
	reg(se3, "se3");
	(void)watch(se3, "se3-child");
	raise(SIGUSR2);
	/* # note: an SA_RESETHAND signal event is talloc_free'd right after its handler returns */
	loop_once(ev);
	loop_once(ev);

	SECTION("freeing a signal event");
	T("free se1 ret=%d", talloc_free(se1));
	te = tevent_add_timer(ev, mem, tevent_timeval_zero(), timer_handler, NULL);
	reg(te, "tz2");
	loop_wait(ev);

	SECTION("end");
	talloc_free(mem);
	return 0;
}
