// struct timeval helpers: port of conformance/c/timeval.c.
import {
  teventTimevalZero, teventTimevalSet, teventTimevalIsZero, teventTimevalCompare,
  teventTimevalUntil, teventTimevalAdd, teventTimevalCurrent, teventTimevalCurrentOfs,
} from "tevent-tsocket";
import type { Timeval } from "tevent-tsocket";
import { T, SECTION, run } from "./common.js";

function tv(label: string, t: Timeval): void {
  T(`${label} = {${t.tv_sec}, ${t.tv_usec}} is_zero=${teventTimevalIsZero(t) ? 1 : 0}`);
}

function mk(s: number, us: number): Timeval {
  return { tv_sec: s, tv_usec: us };
}

function cmp(s1: number, u1: number, s2: number, u2: number): void {
  T(`compare {${s1}, ${u1}} {${s2}, ${u2}} = ${teventTimevalCompare(mk(s1, u1), mk(s2, u2))}`);
}

function until(s1: number, u1: number, s2: number, u2: number): void {
  const r = teventTimevalUntil(mk(s1, u1), mk(s2, u2));
  T(`until {${s1}, ${u1}} {${s2}, ${u2}} = {${r.tv_sec}, ${r.tv_usec}}`);
}

function add(s: number, u: number, secs: number, usecs: number): void {
  const r = teventTimevalAdd(mk(s, u), secs, usecs);
  T(`add {${s}, ${u}} + (${secs >>> 0}, ${usecs >>> 0}) = {${r.tv_sec}, ${r.tv_usec}}`);
}

function systemNow(): Timeval {
  const ms = Date.now();
  return { tv_sec: Math.floor(ms / 1000), tv_usec: (ms % 1000) * 1000 };
}

run(() => {
  SECTION("zero, set, is_zero");
  tv("zero", teventTimevalZero());
  tv("set(0, 0)", teventTimevalSet(0, 0));
  tv("set(0, 1)", teventTimevalSet(0, 1));
  tv("set(1, 0)", teventTimevalSet(1, 0));
  tv("set(5, 2500000)", teventTimevalSet(5, 2500000));
  tv("set(-1, -1)", teventTimevalSet(-1, -1));
  tv("set(4294967296, 4294967297)", teventTimevalSet(4294967296, 4294967297));
  T(`is_zero {0, 0} = ${teventTimevalIsZero(mk(0, 0)) ? 1 : 0}`);
  T(`is_zero {0, -1} = ${teventTimevalIsZero(mk(0, -1)) ? 1 : 0}`);

  SECTION("compare");
  cmp(1, 0, 1, 0);
  cmp(1, 0, 2, 0);
  cmp(2, 0, 1, 0);
  cmp(1, 5, 1, 6);
  cmp(1, 6, 1, 5);
  cmp(1, 999999, 2, 0);
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
  add(0, 0, 4294967295, 4294967295);
  add(1, 2000000, 0, 0);
  add(0, 0, -1, 0);

  SECTION("current, current_ofs");
  const now = teventTimevalCurrent();
  const sys = systemNow();
  let d = teventTimevalUntil(now, sys);
  // gettimeofday vs Date.now(): Date.now() has millisecond resolution, so
  // "close" allows for it being up to 1 ms behind
  const close = teventTimevalCompare(now, sys) >= 0
    ? teventTimevalUntil(sys, now).tv_sec === 0 && teventTimevalUntil(sys, now).tv_usec < 1000
    : d.tv_sec === 0 && d.tv_usec < 100000;
  T(`current: usec_in_range=${now.tv_usec >= 0 && now.tv_usec < 1000000 ? 1 : 0} close_to_gettimeofday=${close ? 1 : 0}`);
  let ofs = teventTimevalCurrentOfs(2, 500000);
  d = teventTimevalUntil(now, ofs);
  T(`current_ofs(2, 500000): later=${teventTimevalCompare(ofs, now) > 0 ? 1 : 0} ` +
    `about_2.5s=${d.tv_sec === 2 && d.tv_usec >= 500000 && d.tv_usec < 600000 ? 1 : 0} ` +
    `usec_in_range=${ofs.tv_usec >= 0 && ofs.tv_usec < 1000000 ? 1 : 0}`);
  ofs = teventTimevalCurrentOfs(0, 3500000);
  d = teventTimevalUntil(now, ofs);
  T(`current_ofs(0, 3500000): normalised=${ofs.tv_usec < 1000000 ? 1 : 0} ` +
    `about_3.5s=${d.tv_sec === 3 && d.tv_usec >= 500000 && d.tv_usec < 600000 ? 1 : 0}`);
  const now2 = teventTimevalCurrent();
  T(`current again: not_earlier=${teventTimevalCompare(now2, now) >= 0 ? 1 : 0}`);
  d = teventTimevalUntil(ofs, now);
  T(`until(future, now) is_zero=${teventTimevalIsZero(d) ? 1 : 0}`);
});
