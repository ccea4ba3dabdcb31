// fd events: port of conformance/c/fd.c. Node.js has no socketpair(), so a
// FIFO stands in for it (see fifoPair in common.ts); the trace is the same.
import {
  TEVENT_FD_READ, TEVENT_FD_WRITE,
  tallocNew, tallocFree,
  teventContextInit, teventAddFd, teventFdGetFlags, teventFdSetFlags, teventFdSetCloseFn,
  teventFdSetAutoClose,
} from "tevent-tsocket";
import type { TeventContext, TeventFd } from "tevent-tsocket";
import {
  T, SECTION, reg, nm, watch, loopOnce, loopWait, run, fifoPair, fdWrite, fdeRead, fdClose, fdState,
} from "./common.js";

let sv: [number, number] = [-1, -1];

function fdname(fd: number): string {
  if (fd === sv[0]) return "sv0";
  if (fd === sv[1]) return "sv1";
  if (fd === -1) return "-1";
  return "?";
}

function fdHandler(_e: TeventContext, fde: TeventFd, flags: number, pvt: unknown): void {
  const fd = pvt as number;
  T(`fd ${nm(fde)} flags=${flags}`);
  if (flags & TEVENT_FD_READ) {
    T(`read ${fdname(fd)} ret=${fdeRead(fde, 16)}`);
  }
}

function fdFreeSelfHandler(_e: TeventContext, fde: TeventFd, flags: number, _pvt: unknown): void {
  T(`fd ${nm(fde)} flags=${flags} frees itself`);
  tallocFree(fde);
  T("after free inside handler");
}

function closeFn(_e: TeventContext | null, fde: TeventFd, fd: number, pvt: unknown): void {
  T(`close_fn ${nm(fde)} fd=${fdname(fd)} pvt=${nm(pvt)}`);
}

async function main(): Promise<void> {
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  let r: TeventFd | null, w: TeventFd | null;
  const p1 = tallocNew(mem);
  reg(p1, "p1");

  SECTION("read");
  sv = fifoPair();
  r = teventAddFd(ev, mem, sv[0], TEVENT_FD_READ, fdHandler, sv[0]);
  reg(r, "r");
  T(`get_flags r=${teventFdGetFlags(r!)}`);
  T(`write sv1 ret=${fdWrite(sv[1], "abc")}`);
  await loopOnce(ev);

  SECTION("write");
  w = teventAddFd(ev, mem, sv[1], TEVENT_FD_WRITE, fdHandler, sv[1]);
  reg(w, "w");
  await loopOnce(ev);
  teventFdSetFlags(w!, 0);
  T(`get_flags w=${teventFdGetFlags(w!)}`);
  tallocFree(w);

  SECTION("read|write");
  teventFdSetFlags(r!, TEVENT_FD_READ | TEVENT_FD_WRITE);
  T(`get_flags r=${teventFdGetFlags(r!)}`);
  T(`write sv1 ret=${fdWrite(sv[1], "de")}`);
  await loopOnce(ev);
  await loopOnce(ev);
  teventFdSetFlags(r!, TEVENT_FD_READ);

  SECTION("peer closed");
  // A FIFO opened read-write never sees its peer go away: switch (silently)
  // to a read-only FIFO end for this section.
  tallocFree(r);
  fdClose(sv[0]);
  fdClose(sv[1]);
  sv = fifoPair(true);
  r = teventAddFd(ev, mem, sv[0], TEVENT_FD_READ, fdHandler, sv[0]);
  reg(r, "r");
  fdClose(sv[1]);
  await loopOnce(ev);
  tallocFree(r);
  fdClose(sv[0]);

  SECTION("free with pending data");
  sv = fifoPair();
  r = teventAddFd(ev, mem, sv[0], TEVENT_FD_READ, fdHandler, sv[0]);
  reg(r, "r");
  fdWrite(sv[1], "x");
  tallocFree(r);
  await loopWait(ev);
  T(`sv0 ${fdState(sv[0])}`);

  SECTION("handler frees its fd event");
  r = teventAddFd(ev, mem, sv[0], TEVENT_FD_READ, fdFreeSelfHandler, sv[0]);
  reg(r, "r");
  await loopWait(ev);
  T(`sv0 ${fdState(sv[0])}`);

  SECTION("close_fn runs before children are freed");
  r = teventAddFd(ev, mem, sv[0], TEVENT_FD_READ, fdHandler, p1);
  reg(r, "r");
  watch(r, "r-child");
  teventFdSetCloseFn(r!, closeFn);
  T(`free r ret=${tallocFree(r)}`);
  T(`sv0 ${fdState(sv[0])}`);

  SECTION("auto close");
  r = teventAddFd(ev, mem, sv[0], TEVENT_FD_READ, fdHandler, p1);
  reg(r, "r");
  teventFdSetAutoClose(r!);
  T(`free r ret=${tallocFree(r)}`);
  T(`sv0 ${fdState(sv[0])}`);
  fdClose(sv[1]);

  SECTION("close_fn then auto close");
  sv = fifoPair();
  r = teventAddFd(ev, mem, sv[0], TEVENT_FD_READ, fdHandler, p1);
  reg(r, "r");
  teventFdSetCloseFn(r!, closeFn);
  teventFdSetAutoClose(r!);
  T(`free r ret=${tallocFree(r)}`);
  T(`sv0 ${fdState(sv[0])}`);

  SECTION("auto close then close_fn");
  r = teventAddFd(ev, mem, sv[1], TEVENT_FD_READ, fdHandler, p1);
  reg(r, "r");
  teventFdSetAutoClose(r!);
  teventFdSetCloseFn(r!, closeFn);
  T(`free r ret=${tallocFree(r)}`);
  T(`sv1 ${fdState(sv[1])}`);
  fdClose(sv[0]);
  fdClose(sv[1]);

  SECTION("freeing the context");
  sv = fifoPair();
  const ev2 = teventContextInit(mem);
  r = teventAddFd(ev2, mem, sv[0], TEVENT_FD_READ, fdHandler, p1);
  reg(r, "r");
  teventFdSetAutoClose(r!);
  watch(r, "r-child");
  T(`free ev2 ret=${tallocFree(ev2)}`);
  T(`sv0 ${fdState(sv[0])}`);
  T(`free r ret=${tallocFree(r)}`);
  T(`sv0 ${fdState(sv[0])}`);
  fdClose(sv[1]);

  SECTION("end");
  await loopWait(ev);
  tallocFree(mem);
}

run(main);
