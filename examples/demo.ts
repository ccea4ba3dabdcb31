// The main demonstration: Samba-style async code in TypeScript.
//
// A `_send`/`_done`/`_recv` computation that waits on a sub-request, a
// queue that serialises three of them, a time-out, and the tevent loop
// driving it all.  Run with `npm start`.

import {
  ETIMEDOUT, strerror, tallocFree, tallocNew, TallocCtx, TeventContext, teventContextInit, TeventQueue,
  teventQueueAdd, teventQueueCreate, TeventReq, teventLoopWait, teventReqCallbackData, teventReqCreate,
  teventReqDone, teventReqError, teventReqIsUnixError, teventReqPost, teventReqReceived, teventReqSetCallback,
  teventReqSetEndtime, teventTimevalCurrentOfs, teventWakeupRecv, teventWakeupSend, EINVAL,
} from "../index";

/* ---- sleep_then_add: wait `ms`, then add two numbers ---- */

class SleepThenAddState {
  sum = 0;
  constructor(readonly ev: TeventContext, readonly a: number, readonly b: number) {}
}

function sleepThenAddSend(memCtx: TallocCtx, ev: TeventContext, ms: number, a: number, b: number): TeventReq {
  const state = new SleepThenAddState(ev, a, b);
  const req = teventReqCreate(memCtx, state, "SleepThenAddState");
  if (!Number.isFinite(a) || !Number.isFinite(b)) {
    teventReqError(req, EINVAL);
    return teventReqPost(req, ev); /* never call back from inside _send */
  }
  const subreq = teventWakeupSend(state, ev, teventTimevalCurrentOfs(0, ms * 1000));
  teventReqSetCallback(subreq, sleepThenAddDone, req);
  return req;
}

function sleepThenAddDone(subreq: TeventReq): void {
  const req = teventReqCallbackData(subreq) as TeventReq;
  const state = req.data as SleepThenAddState;
  const ok = teventWakeupRecv(subreq);
  tallocFree(subreq);
  if (!ok) {
    teventReqError(req, EINVAL);
    return;
  }
  state.sum = state.a + state.b;
  teventReqDone(req);
}

function sleepThenAddRecv(req: TeventReq): { ret: number; perrno: number; sum: number } {
  const state = req.data as SleepThenAddState;
  const { ret: failed, perrno } = teventReqIsUnixError(req);
  const sum = state.sum;
  teventReqReceived(req);
  return failed ? { ret: -1, perrno, sum: 0 } : { ret: 0, perrno: 0, sum };
}

/* ---- main ---- */

function log(line: string): void {
  process.stdout.write(line + "\n");
}

async function main(): Promise<number> {
  const mem = tallocNew(null);
  const ev = teventContextInit(mem);
  const queue: TeventQueue = teventQueueCreate(mem, "adders");
  const t0 = Date.now();
  const stamp = (): string => `[+${String(Date.now() - t0).padStart(3)} ms]`;

  log("tevent-tsocket demo: Samba-style _send/_recv requests on a tevent loop");

  /* three computations, serialised by a queue: each starts when the previous is freed */
  for (const [ms, a, b] of [[30, 1, 2], [10, 20, 22], [5, 100, NaN]] as const) {
    const req = teventReqCreate(mem, {}, "queued_add");
    teventQueueAdd(queue, ev, req, (qreq) => {
      log(`${stamp()} queue: start add(${a}, ${b}) after ${ms} ms`);
      const sub = sleepThenAddSend(qreq, ev, ms, a, b);
      teventReqSetCallback(sub, (s) => {
        const r = sleepThenAddRecv(s);
        log(r.ret === 0 ? `${stamp()} add(${a}, ${b}) = ${r.sum}`
                        : `${stamp()} add(${a}, ${b}) failed: ${strerror(r.perrno)}`);
        tallocFree(s);
        tallocFree(qreq); /* the queue moves on when its request is freed */
      }, null);
    }, null);
  }

  /* a computation that misses its deadline */
  const slow = sleepThenAddSend(mem, ev, 500, 1, 1);
  teventReqSetEndtime(slow, ev, teventTimevalCurrentOfs(0, 80000));
  teventReqSetCallback(slow, (r) => {
    const res = sleepThenAddRecv(r);
    log(`${stamp()} slow add: ret=${res.ret} perrno=${res.perrno === ETIMEDOUT ? "ETIMEDOUT" : res.perrno}`);
    tallocFree(r);
  }, null);

  const ret = await teventLoopWait(ev);
  log(`${stamp()} tevent_loop_wait() = ${ret}: no events left`);
  tallocFree(mem);
  return ret;
}

main().then((ret) => { process.exitCode = ret === 0 ? 0 : 1; });
