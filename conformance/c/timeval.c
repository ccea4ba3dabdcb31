/*
 * struct timeval helpers: tevent_timeval_zero/set/is_zero/compare/until/add/
 * current/current_ofs, with normalised, unnormalised and uint32_t-wrapping
 * inputs. Only relations are printed for the current time.
 */
#include "common.h"
#include <sys/time.h>

static void tv(const char *label, struct timeval t)
{
	T("%s = {%lld, %lld} is_zero=%d", label, (long long)t.tv_sec, (long long)t.tv_usec,
	  tevent_timeval_is_zero(&t));
}

static struct timeval mk(long long s, long long us)
{
	struct timeval t;
	t.tv_sec = s;
	t.tv_usec = us;
	return t;
}

static void cmp(long long s1, long long u1, long long s2, long long u2)
{
	struct timeval a = mk(s1, u1), b = mk(s2, u2);
	T("compare {%lld, %lld} {%lld, %lld} = %d", s1, u1, s2, u2, tevent_timeval_compare(&a, &b));
}

static void until(long long s1, long long u1, long long s2, long long u2)
{
	struct timeval a = mk(s1, u1), b = mk(s2, u2);
	struct timeval r = tevent_timeval_until(&a, &b);
	T("until {%lld, %lld} {%lld, %lld} = {%lld, %lld}", s1, u1, s2, u2,
	  (long long)r.tv_sec, (long long)r.tv_usec);
}

static void add(long long s, long long u, uint32_t secs, uint32_t usecs)
{
	struct timeval a = mk(s, u);
	struct timeval r = tevent_timeval_add(&a, secs, usecs);
	T("add {%lld, %lld} + (%u, %u) = {%lld, %lld}", s, u, secs, usecs,
	  (long long)r.tv_sec, (long long)r.tv_usec);
}

int main(void)
{
	struct timeval now, now2, ofs, d;
	struct timeval z;
	struct timeval sys;

	SECTION("zero, set, is_zero");
	tv("zero", tevent_timeval_zero());
	tv("set(0, 0)", tevent_timeval_set(0, 0));
	tv("set(0, 1)", tevent_timeval_set(0, 1));
	tv("set(1, 0)", tevent_timeval_set(1, 0));
	tv("set(5, 2500000)", tevent_timeval_set(5, 2500000));
	/* # note: the arguments are uint32_t: -1 is 4294967295 and nothing is normalised */
	tv("set(-1, -1)", tevent_timeval_set(-1, -1));
	tv("set(4294967296, 4294967297)", tevent_timeval_set((uint32_t)4294967296ULL, (uint32_t)4294967297ULL));
	z = mk(0, 0);
	T("is_zero {0, 0} = %d", tevent_timeval_is_zero(&z));
	z = mk(0, -1);
	T("is_zero {0, -1} = %d", tevent_timeval_is_zero(&z));

	SECTION("compare");
	cmp(1, 0, 1, 0);
	cmp(1, 0, 2, 0);
	cmp(2, 0, 1, 0);
	cmp(1, 5, 1, 6);
	cmp(1, 6, 1, 5);
	cmp(1, 999999, 2, 0);
	/* # note: unnormalised values compare field by field: {1, 2000000} < {2, 0} */
	cmp(1, 2000000, 2, 0);
	cmp(-1, 0, 0, 0);
	cmp(0, -1, 0, 0);

	SECTION("until");
	until(1, 500000, 3, 200000);
	until(1, 200000, 3, 500000);
	until(3, 200000, 1, 500000);
	until(1, 0, 1, 0);
	until(1, 0, 1, 1);
	until(0, 0, 0, 999999);
	until(0, 999999, 1, 0);
	until(1, 2000000, 2, 0);
	until(-5, 0, 5, 0);

	SECTION("add");
	add(0, 0, 0, 0);
	add(1, 999999, 0, 1);
	add(1, 500000, 2, 2500000);
	add(10, 0, 0, 999999);
	add(0, 0, 4294967295U, 4294967295U);
	add(1, 2000000, 0, 0);
	add(0, 0, (uint32_t)-1, 0);

	SECTION("current, current_ofs");
	now = tevent_timeval_current();
	gettimeofday(&sys, NULL);
	d = tevent_timeval_until(&now, &sys);
	T("current: usec_in_range=%d close_to_gettimeofday=%d", now.tv_usec >= 0 && now.tv_usec < 1000000,
	  d.tv_sec == 0 && d.tv_usec < 100000);
	ofs = tevent_timeval_current_ofs(2, 500000);
	d = tevent_timeval_until(&now, &ofs);
	T("current_ofs(2, 500000): later=%d about_2.5s=%d usec_in_range=%d",
	  tevent_timeval_compare(&ofs, &now) > 0,
	  d.tv_sec == 2 && d.tv_usec >= 500000 && d.tv_usec < 600000,
	  ofs.tv_usec >= 0 && ofs.tv_usec < 1000000);
	ofs = tevent_timeval_current_ofs(0, 3500000);
	d = tevent_timeval_until(&now, &ofs);
	T("current_ofs(0, 3500000): normalised=%d about_3.5s=%d", ofs.tv_usec < 1000000,
	  d.tv_sec == 3 && d.tv_usec >= 500000 && d.tv_usec < 600000);
	now2 = tevent_timeval_current();
	T("current again: not_earlier=%d", tevent_timeval_compare(&now2, &now) >= 0);
	d = tevent_timeval_until(&ofs, &now);
	T("until(future, now) is_zero=%d", tevent_timeval_is_zero(&d));
	return 0;
}
