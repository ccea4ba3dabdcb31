// Random sequences of queue, request and event operations checked against a
// simple model: no exception escapes, queues trigger strictly in FIFO order
// of the entries still present, every request finishes at most once per
// notification, lengths always agree.

import { expect } from "chai";
import {
  tallocFree, TeventContext, TeventReq, teventContextInit, teventLoopOnce, teventQueueAdd,
  teventQueueAddOptimizeEmpty, teventQueueCreate, teventQueueLength, teventQueueStart, teventQueueStop,
  teventReqCreate, teventReqDone, teventReqError, teventReqIsInProgress, teventReqSetCallback, teventAddTimer,
  teventTimevalZero, teventCreateImmediate, teventScheduleImmediate, TeventQueue, teventLoopWait,
} from "../../index";

function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Item { req: TeventReq; id: number; triggered: boolean; finished: number; freed: boolean }

async function runOne(seed: number, steps: number): Promise<{ triggers: number; finishes: number }> {
  const rnd = prng(seed);
  const ev: TeventContext = teventContextInit(null);
  const q: TeventQueue = teventQueueCreate(ev, "model");
  const model: Item[] = []; /* entries in queue order */
  const all: Item[] = [];
  let running = true;
  let triggers = 0;
  let finishes = 0;
  let nextId = 0;

  const onTrigger = (req: TeventReq, item: Item): void => {
    /* only the head of the live entries may be triggered */
    expect(model[0]).to.equal(item);
    expect(running).to.equal(true);
    item.triggered = true;
    triggers++;
  };

  for (let step = 0; step < steps; step++) {
    const op = Math.floor(rnd() * 9);
    switch (op) {
      case 0: case 1: { /* add */
        const item: Item = { req: teventReqCreate(ev, { n: nextId }), id: nextId++, triggered: false, finished: 0, freed: false };
        teventReqSetCallback(item.req, () => { item.finished++; finishes++; }, null);
        model.push(item);
        all.push(item);
        if (rnd() < 0.5) teventQueueAdd(q, ev, item.req, onTrigger, item);
        else teventQueueAddOptimizeEmpty(q, ev, item.req, onTrigger, item);
        break;
      }
      case 2: { /* finish the triggered head */
        const head = model[0];
        if (head !== undefined && head.triggered && teventReqIsInProgress(head.req)) {
          if (rnd() < 0.5) teventReqDone(head.req); else teventReqError(head.req, 1 + Math.floor(rnd() * 100));
          expect(head.finished).to.equal(1);
        }
        break;
      }
      case 3: { /* free a random live request */
        if (model.length > 0) {
          const i = Math.floor(rnd() * model.length);
          const item = model[i];
          model.splice(i, 1);
          item.freed = true;
          expect(tallocFree(item.req)).to.equal(0);
        }
        break;
      }
      case 4: {
        if (rnd() < 0.5) { teventQueueStop(q); running = false; } else { teventQueueStart(q); running = true; }
        break;
      }
      case 5: {
        const im = teventCreateImmediate(ev);
        teventScheduleImmediate(im, ev, (_e, i) => { tallocFree(i); }, null);
        break;
      }
      case 6: {
        const te = teventAddTimer(ev, ev, teventTimevalZero(), () => undefined, null);
        if (rnd() < 0.3) tallocFree(te);
        break;
      }
      default: { /* run the loop while something is scheduled */
        if (ev.imHead !== null || ev.teHead !== null) expect(await teventLoopOnce(ev)).to.equal(0);
      }
    }
    expect(teventQueueLength(q)).to.equal(model.length);
  }
  expect(await teventLoopWait(ev)).to.equal(0);
  for (const item of all) {
    expect(item.finished).to.be.at.most(1);
    if (!item.freed) tallocFree(item.req);
  }
  expect(teventQueueLength(q)).to.equal(0);
  tallocFree(ev);
  return { triggers, finishes };
}

describe("tevent model check (random operation sequences)", () => {
  it("200 random sequences of 300 operations: FIFO triggers, consistent lengths, no exception", async () => {
    let triggers = 0;
    let finishes = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const r = await runOne(seed, 300);
      triggers += r.triggers;
      finishes += r.finishes;
    }
    /* the sequences must actually exercise the queue */
    expect(triggers).to.be.above(400);
    expect(finishes).to.be.above(100);
  });
});
