// talloc lifetimes: port of conformance/c/talloc.c.
import {
  tallocNew, tallocFree, tallocSetDestructor, tallocSteal, tallocReparent,
  tallocParent, tallocMove, tallocFreeChildren,
} from "tevent-tsocket";
import { T, SECTION, reg, nm, run } from "./common.js";

type Obj = object;

const watchDestructor = (p: unknown): number => {
  T(`destructor ${nm(p)}`);
  return 0;
};

const refuseDestructor = (p: unknown): number => {
  T(`destructor ${nm(p)} refuses`);
  return -1;
};

function mk(parent: Obj | null, label: string): Obj {
  const p = tallocNew(parent);
  reg(p, label);
  tallocSetDestructor(p, watchDestructor);
  return p;
}

let siblingTarget: Obj | null = null;
let childTarget: Obj | null = null;
let count = 0;

const selfFreeDestructor = (p: unknown): number => {
  T(`destructor ${nm(p)}`);
  T(`inner free self ret=${tallocFree(p as Obj)}`);
  return 0;
};

const freeSiblingDestructor = (p: unknown): number => {
  T(`destructor ${nm(p)}`);
  T(`inner free ${nm(siblingTarget)} ret=${tallocFree(siblingTarget)}`);
  return 0;
};

const freeChildDestructor = (p: unknown): number => {
  T(`destructor ${nm(p)}`);
  T(`inner free ${nm(childTarget)} ret=${tallocFree(childTarget)}`);
  return 0;
};

const refuseOnceDestructor = (p: unknown): number => {
  count++;
  T(`destructor ${nm(p)} call=${count}`);
  return count === 1 ? -1 : 0;
};

function main(): void {
  let p: Obj, q: Obj, c1: Obj, c2: Obj, c3: Obj, g: Obj, x: Obj, gp: Obj;

  SECTION("free order");
  p = mk(null, "p");
  c1 = mk(p, "c1");
  c2 = mk(p, "c2");
  c3 = mk(p, "c3");
  g = mk(c2, "g");
  T(`free p ret=${tallocFree(p)}`);

  SECTION("free NULL");
  T(`free NULL ret=${tallocFree(null)}`);

  SECTION("destructor refuses");
  p = mk(null, "p");
  c1 = mk(p, "c1");
  tallocSetDestructor(p, refuseDestructor);
  T(`free p ret=${tallocFree(p)}`);
  T(`parent c1=${nm(tallocParent(c1))}`);
  tallocSetDestructor(p, null);
  T(`free p ret=${tallocFree(p)}`);

  SECTION("destructor refuses once then accepts");
  p = mk(null, "p");
  tallocSetDestructor(p, refuseOnceDestructor);
  T(`free p ret=${tallocFree(p)}`);
  T(`free p ret=${tallocFree(p)}`);

  SECTION("refusing child of freed parent");
  gp = mk(null, "gp");
  p = mk(gp, "p");
  c1 = mk(p, "c1");
  c2 = mk(p, "c2");
  c3 = mk(p, "c3");
  g = mk(c2, "g");
  tallocSetDestructor(c2, refuseDestructor);
  T(`free p ret=${tallocFree(p)}`);
  T(`parent c2=${nm(tallocParent(c2))}`);
  T(`parent g=${nm(tallocParent(g))}`);
  tallocSetDestructor(c2, watchDestructor);
  T(`free gp ret=${tallocFree(gp)}`);

  SECTION("refusing child of freed top-level parent");
  p = mk(null, "p");
  c1 = mk(p, "c1");
  tallocSetDestructor(c1, refuseDestructor);
  T(`free p ret=${tallocFree(p)}`);
  T(`parent c1=${nm(tallocParent(c1))}`);
  tallocSetDestructor(c1, watchDestructor);
  T(`free c1 ret=${tallocFree(c1)}`);

  SECTION("talloc_new");
  const top = mk(null, "top");
  x = tallocNew(top);
  reg(x, "x");
  T(`parent x=${nm(tallocParent(x))}`);
  T(`parent top=${nm(tallocParent(top))}`);

  SECTION("talloc_steal");
  p = mk(top, "p");
  q = mk(top, "q");
  c1 = mk(p, "c1");
  c2 = mk(p, "c2");
  x = mk(q, "x");
  T(`steal x ret=${nm(tallocSteal(p, x))}`);
  T(`parent x=${nm(tallocParent(x))}`);
  T(`steal c1 to same parent ret=${nm(tallocSteal(p, c1))}`);
  T(`free q ret=${tallocFree(q)}`);
  T(`free p ret=${tallocFree(p)}`);
  x = mk(top, "x");
  T(`steal x to NULL ret=${nm(tallocSteal(null, x))}`);
  T(`parent x=${nm(tallocParent(x))}`);
  T(`steal NULL ret=${nm(tallocSteal(top, null))}`);
  T(`free x ret=${tallocFree(x)}`);

  SECTION("talloc_reparent");
  p = mk(top, "p");
  q = mk(top, "q");
  x = mk(p, "x");
  T(`reparent wrong old ret=${nm(tallocReparent(q, top, x))}`);
  T(`parent x=${nm(tallocParent(x))}`);
  T(`reparent p->q ret=${nm(tallocReparent(p, q, x))}`);
  T(`parent x=${nm(tallocParent(x))}`);
  T(`free p ret=${tallocFree(p)}`);
  T(`free q ret=${tallocFree(q)}`);

  SECTION("talloc_move");
  p = mk(top, "p");
  q = mk(top, "q");
  x = mk(p, "x");
  T(`move ret=${nm(tallocMove(q, x))}`);
  T(`parent x=${nm(tallocParent(x))}`);
  T(`free q ret=${tallocFree(q)}`);
  T(`free p ret=${tallocFree(p)}`);

  SECTION("talloc_free_children");
  p = mk(top, "p");
  c1 = mk(p, "c1");
  c2 = mk(p, "c2");
  c3 = mk(p, "c3");
  tallocFreeChildren(p);
  T(`parent p=${nm(tallocParent(p))}`);
  c1 = mk(p, "c1");
  c2 = mk(p, "c2");
  tallocSetDestructor(c1, refuseDestructor);
  tallocFreeChildren(p);
  T(`parent c1=${nm(tallocParent(c1))}`);
  tallocSetDestructor(c1, watchDestructor);
  T(`free c1 ret=${tallocFree(c1)}`);
  T(`free p ret=${tallocFree(p)}`);

  SECTION("free from inside a destructor");
  p = mk(top, "p");
  x = tallocNew(p);
  reg(x, "self");
  tallocSetDestructor(x, selfFreeDestructor);
  T(`free self ret=${tallocFree(x)}`);
  c1 = mk(p, "c1");
  c2 = mk(p, "c2");
  tallocSetDestructor(c1, freeSiblingDestructor);
  siblingTarget = c2;
  T(`free c1 ret=${tallocFree(c1)}`);
  x = tallocNew(p);
  reg(x, "x");
  tallocSetDestructor(x, freeChildDestructor);
  childTarget = mk(x, "xc");
  mk(x, "xd");
  T(`free x ret=${tallocFree(x)}`);
  c1 = mk(p, "c1");
  c2 = mk(p, "c2");
  c3 = mk(p, "c3");
  tallocSetDestructor(c3, freeSiblingDestructor);
  siblingTarget = c1;
  T(`free p ret=${tallocFree(p)}`);

  SECTION("end");
  T(`free top ret=${tallocFree(top)}`);
  void c3; void g;
}

run(main);
