// talloc's lifetime rules (talloc.c), for any JavaScript object.
//
// Memory itself is the garbage collector's business; what Samba code relies
// on is the *hierarchy*: freeing a context runs its destructor, then frees
// its children (newest first), and a destructor may refuse.  A node is hung
// on the object under a symbol, so a freed object leaves nothing behind in
// any global table.

import { EINVAL, setErrno } from "./errno";

/** A talloc context: any object (or null, the top-level "null context"). */
// eslint-disable-next-line @typescript-eslint/ban-types
export type TallocCtx = object | null;

/** talloc_destructor_t: return -1 to refuse the free; anything else allows it. */
export type TallocDestructor<T = unknown> = (ptr: T) => number | void;

const FLAG_LOOP = 1;       /* being freed: stops free loops (TALLOC_FLAG_LOOP) */
const FLAG_FREE = 2;       /* freed (TALLOC_FLAG_FREE) */
const FLAG_LAZY = 4;       /* has a lazy child without a node yet (see TallocLazyOwner) */
/* talloc stores (talloc_destructor_t)-1 while a destructor runs.  Here a
 * function of its own, never called: the field then only ever holds
 * functions or null, and V8 never has to widen it (which would throw away
 * the optimized code of everything that reads a node). */
const DESTRUCTOR_BUSY: TallocDestructor<never> = function destructorBusy(): void { /* a marker */ };

/**
 * The bookkeeping talloc keeps in its chunk header.  Field names carry a
 * "tc" prefix (C's struct talloc_chunk *tc) so that a library class can
 * be its own node without its own fields colliding with these: it declares
 * the same fields, with tcPtr and [TALLOC_NODE] set to itself (TeventReq:
 * one allocation instead of two, and no lookup to find the node; also
 * TstreamContext).
 */
export class TallocNode {
  tcParent: TallocNode | null = null;
  tcChild: TallocNode | null = null; /* newest child first, as _TLIST_ADD does */
  tcNext: TallocNode | null = null;
  tcPrev: TallocNode | null = null; /* kept from the third child on: the second's is the head (linkHead) */
  tcDestructor: TallocDestructor<never> | null = null;
  tcFlags = 0;
  tcName: string | null = null;
  /** the object this node belongs to (itself for a library object that is its own node) */
  readonly tcPtr: object;
  constructor(ptr: object | null) {
    this.tcPtr = ptr === null ? this : ptr;
  }

  /*
   * Fast paths for the library's own hot code (teventReqCreate and friends),
   * where the caller already holds the node or knows the object is new.
   * They do what tallocSteal / tallocFree do, without looking the node up
   * again through a property access that sees every kind of object.
   */

  /** @internal A new node (of an object that had none) becomes the newest child of parent. */
  static attachNew(parent: TallocCtx, node: TallocNode): void {
    if (parent === null || parent === undefined) return;
    /* the lookup is written out here (and in adopt, tallocFree): each
     * place then sees only its own kinds of objects, not every kind */
    let pn = (parent as WithNode)[NODE];
    if (!pn) {
      checkCtx(parent, "tallocSteal");
      pn = tallocNodeNew(parent as object);
    } else if (pn.tcPtr !== parent) {
      pn = lazyNode(parent as object, pn);
    }
    linkHead(pn, node);
  }

  /** @internal True while ptr is owner's lazy child (it has no node, so no children). */
  static isLazyChild(owner: TallocLazyOwner, ptr: object): boolean {
    return (owner.tcFlags & FLAG_LAZY) !== 0 && owner.data === ptr;
  }

  /**
   * @internal tallocSteal(owner, ptr) for a new object ptr that has no node,
   * without making one: ptr becomes owner's lazy child (ptr[TALLOC_NODE] is
   * owner until a node is needed).  False (nothing done) when ptr already
   * has a node or cannot carry one.
   */
  static attachLazy(owner: TallocLazyOwner, ptr: object): boolean {
    const n = (ptr as WithNode)[NODE];
    if ((n !== undefined && n !== null) || (owner.tcFlags & FLAG_LAZY) !== 0) return false;
    try {
      (ptr as { [TALLOC_NODE]?: TallocNode | null })[NODE] = owner;
    } catch {
      return false; /* frozen or sealed */
    }
    owner.tcFlags |= FLAG_LAZY;
    return true;
  }

  /**
   * @internal attachLazy for an object ptr its caller has just made, whose
   * class declares [TALLOC_NODE] (null): the caller stores owner there
   * itself, right after (a store that sees one class at its site, where
   * attachLazy's sees every kind of object).  False (nothing done) when
   * owner has a lazy child already.
   */
  static markLazy(owner: TallocLazyOwner): boolean {
    if ((owner.tcFlags & FLAG_LAZY) !== 0) return false;
    owner.tcFlags |= FLAG_LAZY;
    return true;
  }

  /**
   * @internal Free owner's lazy child, if it has one (it has no children;
   * its destructor, if any, runs first).  True if it had one, also when
   * the destructor refused (the child then has a node and stays).
   */
  static freeLazy(owner: TallocLazyOwner): boolean {
    if ((owner.tcFlags & FLAG_LAZY) === 0) return false;
    if (owner.dataDestructor === null || owner.dataDestructor === undefined) {
      owner.tcFlags &= ~FLAG_LAZY;
      return true;
    }
    freeLazyDestructor(owner);
    return true;
  }

  /**
   * @internal tallocSetDestructor(ptr, fn) when ptr is owner's lazy child
   * and owner can hold its destructor (declares dataDestructor): no node
   * is made.  False (nothing done) otherwise.
   */
  static setLazyDestructor(owner: TallocLazyOwner, ptr: object, fn: TallocDestructor<never> | null): boolean {
    if ((owner.tcFlags & FLAG_LAZY) === 0 || owner.data !== ptr || owner.dataDestructor === undefined) return false;
    owner.dataDestructor = fn;
    return true;
  }

  /** @internal tallocSteal(parent's object, ptr) for an object ptr; returns ptr's node. */
  static adopt(parent: TallocNode, ptr: object): TallocNode {
    let n = (ptr as WithNode)[NODE];
    if (n === undefined || n === null) n = tallocNodeNew(ptr);
    else if (n.tcPtr !== ptr) n = lazyNode(ptr, n);
    if (n === parent || (n.tcParent === parent && parent.tcChild === n)) return n;
    if (n.tcParent !== null) unlink(n); /* a node without a parent is in no list */
    linkHead(parent, n);
    return n;
  }

  /** @internal True once the object has been freed (tallocIsFreed, from the node). */
  static isFreed(tc: TallocNode | null): boolean {
    return tc !== null && (tc.tcFlags & FLAG_FREE) !== 0;
  }

  /** @internal tallocFree() of the object whose node this is. */
  static free(tc: TallocNode): number {
    if ((tc.tcFlags & FLAG_FREE) !== 0) {
      setErrno(EINVAL);
      return -1;
    }
    return freeInternal(tc);
  }
}

/**
 * @internal A library object that is its own node and can keep one child
 * without a node of its own until something asks for it (TeventReq and its
 * state: most states are never looked at by talloc, and freeing them is
 * then only clearing a flag).  While FLAG_LAZY is set, `data` is that child
 * and `data[TALLOC_NODE]` is the owner; the child has no children, its
 * destructor (if the owner declares dataDestructor) is kept there, and it
 * is the owner's oldest child.  Any talloc function that looks up the
 * child's node makes the node first (lazyNode); dataNode then holds it.
 * tallocSetDestructor on the child needs no node: a state with a
 * destructor (most of the library's) is still freed without one.
 */
export interface TallocLazyOwner extends TallocNode {
  data: unknown;
  dataNode: TallocNode | null;
  /* the name the child's node gets (tallocSetName), or undefined */
  typeName: string | undefined;
  /* the lazy child's destructor, for an owner that declares the field
   * (null when none): the child keeps it without a node of its own */
  dataDestructor?: TallocDestructor<never> | null;
}

/*
 * ptr[TALLOC_NODE] is owner, not ptr's own node: ptr is (or was) owner's
 * lazy child.  Make ptr's node now: the owner's oldest child while the
 * owner still has it, else a freed node (freed with or by its owner).
 */
function lazyNode(ptr: object, owner: TallocNode): TallocNode {
  const o = owner as TallocLazyOwner;
  const node = new TallocNode(ptr);
  (ptr as { [TALLOC_NODE]?: TallocNode | null })[NODE] = node;
  if ((o.tcFlags & FLAG_LAZY) !== 0 && o.data === ptr) {
    o.tcFlags &= ~FLAG_LAZY;
    o.dataNode = node;
    if (typeof o.typeName === "string") node.tcName = o.typeName;
    const d = o.dataDestructor;
    if (d !== undefined && d !== null) {
      node.tcDestructor = d;
      o.dataDestructor = null;
    }
    /* the oldest child: the tail of owner's list */
    let last = o.tcChild;
    if (last === null) {
      linkHead(o, node);
    } else {
      while (last.tcNext !== null) last = last.tcNext;
      node.tcParent = o;
      node.tcPrev = last;
      last.tcNext = node;
    }
  } else {
    node.tcFlags = FLAG_FREE;
  }
  return node;
}

/* Make owner's lazy child's node, if it has a lazy child (before walking its children). */
function unlazy(tc: TallocNode): void {
  if ((tc.tcFlags & FLAG_LAZY) !== 0) lazyNode((tc as TallocLazyOwner).data as object, tc);
}

/* Whether tc has a lazy child that carries a destructor (it must then be freed as a node). */
function lazyHasDestructor(tc: TallocNode): boolean {
  if ((tc.tcFlags & FLAG_LAZY) === 0) return false;
  const d = (tc as TallocLazyOwner).dataDestructor;
  return d !== undefined && d !== null;
}

/*
 * freeLazy() of a lazy child with a destructor: what freeInternal does for
 * a node, without making one.  While the destructor runs the child stays
 * lazy, its destructor DESTRUCTOR_BUSY (a node made meanwhile takes that
 * over, so a tallocFree of the child from inside its destructor is refused,
 * as in C).  A refusal leaves the child alive, with its node.
 */
function freeLazyDestructor(o: TallocLazyOwner): void {
  const ptr = o.data as object;
  const d = o.dataDestructor as TallocDestructor<never>;
  if (d === DESTRUCTOR_BUSY) {
    /* freed again from inside its own destructor: refused */
    lazyNode(ptr, o);
    return;
  }
  o.dataDestructor = DESTRUCTOR_BUSY;
  let r: number | void;
  try {
    r = (d as TallocDestructor<object>)(ptr);
  } catch (e) {
    restoreLazyDestructor(o, ptr, d);
    throw e;
  }
  if ((o.tcFlags & FLAG_LAZY) !== 0 && o.data === ptr) {
    if (r === -1) {
      restoreLazyDestructor(o, ptr, d);
      lazyNode(ptr, o); /* refused: it stays, as a node */
      return;
    }
    o.tcFlags &= ~FLAG_LAZY;
    o.dataDestructor = null; /* freed: a destructor it set on itself meanwhile goes with it */
    return;
  }
  /* the destructor made the child's node (asked talloc about it): finish as a node */
  const node = (ptr as WithNode)[NODE];
  if (node === undefined || node === null || node.tcPtr !== ptr) return;
  if (r === -1) {
    if (node.tcDestructor === DESTRUCTOR_BUSY) node.tcDestructor = d;
    return;
  }
  if (node.tcDestructor === DESTRUCTOR_BUSY) node.tcDestructor = null;
  if ((node.tcFlags & FLAG_FREE) === 0) freeAfterDestructor(node);
}

/* A destructor that threw or refused gets its place back (unless it set another one). */
function restoreLazyDestructor(o: TallocLazyOwner, ptr: object, d: TallocDestructor<never>): void {
  if ((o.tcFlags & FLAG_LAZY) !== 0 && o.data === ptr) {
    if (o.dataDestructor === DESTRUCTOR_BUSY) o.dataDestructor = d;
    return;
  }
  const node = (ptr as WithNode)[NODE];
  if (node !== undefined && node !== null && node.tcPtr === ptr && node.tcDestructor === DESTRUCTOR_BUSY) {
    node.tcDestructor = d;
  }
}

/** Symbol under which an object carries its TallocNode. */
export const TALLOC_NODE: unique symbol = Symbol("talloc");
/* the same, under a module-local name: tsc compiles each use of an exported
 * const to a load from `exports` (the lookups below are the hottest code) */
const NODE: typeof TALLOC_NODE = TALLOC_NODE;

type WithNode = { [TALLOC_NODE]?: TallocNode | null };

/* Frozen or sealed objects cannot carry the symbol; a WeakMap keeps theirs. */
const sealedNodes = new WeakMap<object, TallocNode>();
/* how many were ever put there: while none, no lookup is needed */
let sealedCount = 0;

function isObject(p: unknown): p is object {
  return (typeof p === "object" && p !== null) || typeof p === "function";
}

/** The node of ptr, or null if ptr never took part in talloc. */
export function tallocPeekNode(ptr: object): TallocNode | null {
  const n = (ptr as WithNode)[NODE];
  if (n !== undefined) return n === null || n.tcPtr === ptr ? n : lazyNode(ptr, n);
  if (sealedCount === 0) return null;
  return sealedNodes.get(ptr) ?? null;
}

/** The node of ptr, created on first use. */
export function tallocNode(ptr: object): TallocNode {
  if (ptr !== null && ptr !== undefined) {
    const n = (ptr as WithNode)[NODE];
    if (n) return n.tcPtr === ptr ? n : lazyNode(ptr, n);
  }
  return tallocNodeNew(ptr);
}

/* The first use: hang a new node on ptr. */
function tallocNodeNew(ptr: object): TallocNode {
  if (!isObject(ptr)) {
    throw new TypeError(`tallocNode: ptr must be an object, got ${ptr === null ? "null" : typeof ptr}`);
  }
  const node = new TallocNode(ptr);
  /* library classes declare the field (null): no shape change.  A frozen
   * or sealed object refuses the property (a TypeError in strict code):
   * cheaper to try than to ask Object.isExtensible() every time. */
  try {
    (ptr as WithNode)[NODE] = node;
    return node;
  } catch {
    /* not extensible: the WeakMap below */
  }
  const old = sealedNodes.get(ptr);
  if (old) return old;
  sealedNodes.set(ptr, node);
  sealedCount++;
  return node;
}

/* Unlink tc from its parent's child list (the _TLIST_REMOVE dance). */
function unlink(tc: TallocNode): void {
  const parent = tc.tcParent;
  if (parent !== null) {
    const next = tc.tcNext;
    const head = parent.tcChild;
    if (head === tc) {
      parent.tcChild = next;
    } else {
      /* the second child's tcPrev is not kept: it is the head (see linkHead) */
      const prev = head !== null && head.tcNext === tc ? head : tc.tcPrev;
      if (prev !== null) prev.tcNext = next;
      if (next !== null) next.tcPrev = prev;
    }
  }
  tc.tcNext = tc.tcPrev = null;
  tc.tcParent = null;
}

/*
 * Make tc the newest child of parent.  The old head becomes the second
 * child, whose tcPrev is not stored (it is the head, unlink knows): the
 * store would go into an older object (a write barrier) of any class (a
 * place V8 can only handle for the classes it has seen there), and a
 * parent's newest child comes and goes far more often than its others
 * (a request made and freed under a long-lived context).  The child that
 * becomes the third gets its tcPrev instead.
 */
function linkHead(parent: TallocNode, tc: TallocNode): void {
  tc.tcFlags &= ~FLAG_FREE; /* re-attached: alive again */
  const old = parent.tcChild;
  if (old !== null) {
    const third = old.tcNext;
    if (third !== null) third.tcPrev = old;
  }
  tc.tcParent = parent;
  tc.tcPrev = null;
  tc.tcNext = old;
  parent.tcChild = tc;
}

function checkCtx(ctx: unknown, fn: string): void {
  if (ctx !== null && ctx !== undefined && !isObject(ctx)) {
    throw new TypeError(`${fn}: a talloc context must be an object or null, got ${typeof ctx}`);
  }
}

/**
 * talloc_new(): a new empty context, child of parent.
 */
export function tallocNew(parent: TallocCtx): object {
  const ptr = new TallocContext();
  if (parent !== null && parent !== undefined) {
    checkCtx(parent, "tallocNew");
    linkHead(tallocNode(parent), tallocNode(ptr));
  }
  return ptr;
}

/** What tallocNew returns: a plain named context. */
export class TallocContext {}

/**
 * talloc_steal(): make ptr a child of newParent (null: a top-level object).
 * Returns ptr.
 */
export function tallocSteal<T>(newParent: TallocCtx, ptr: T): T {
  if (!isObject(ptr)) return ptr;
  checkCtx(newParent, "tallocSteal");
  const tc = tallocNode(ptr);
  if (newParent === null || newParent === undefined) {
    unlink(tc);
    return ptr;
  }
  const newTc = tallocNode(newParent);
  /* talloc leaves a chunk in place when it already heads newParent's list */
  if (tc === newTc || (tc.tcParent === newTc && newTc.tcChild === tc)) return ptr;
  unlink(tc);
  linkHead(newTc, tc);
  return ptr;
}

/** talloc_move(): a steal (JavaScript cannot clear the caller's variable). */
export function tallocMove<T>(newCtx: TallocCtx, ptr: T): T {
  return tallocSteal(newCtx, ptr);
}

/**
 * talloc_reparent(): move ptr from oldParent to newParent, only if oldParent
 * is its parent.  Returns ptr, or null when it was not.
 */
export function tallocReparent<T>(oldParent: TallocCtx, newParent: TallocCtx, ptr: T): T | null {
  if (!isObject(ptr)) return null;
  const tc = tallocPeekNode(ptr);
  const cur = tc !== null && tc.tcParent !== null ? tc.tcParent.tcPtr : null;
  if (cur !== (oldParent ?? null)) return null;
  return tallocSteal(newParent, ptr);
}

/** talloc_parent(): the parent of ptr, or null. */
export function tallocParent(ptr: unknown): object | null {
  if (!isObject(ptr)) return null;
  const tc = tallocPeekNode(ptr);
  return tc !== null && tc.tcParent !== null ? tc.tcParent.tcPtr : null;
}

/**
 * talloc_set_destructor(): fn runs when ptr is freed, before its children.
 * A destructor returning -1 refuses the free.  null removes it.
 */
export function tallocSetDestructor<T extends object>(ptr: T, fn: TallocDestructor<T> | null): void {
  if (!isObject(ptr)) throw new TypeError("tallocSetDestructor: ptr must be an object");
  if (fn !== null && typeof fn !== "function") {
    throw new TypeError("tallocSetDestructor: the destructor must be a function or null");
  }
  /* the lazy child of a library object (a request's state): no node needed */
  const owner = (ptr as WithNode)[NODE];
  if (owner !== undefined && owner !== null && owner.tcPtr !== ptr &&
      TallocNode.setLazyDestructor(owner as TallocLazyOwner, ptr, fn as TallocDestructor<never> | null)) {
    return;
  }
  if (fn === null) {
    const tc = tallocPeekNode(ptr);
    if (tc !== null) tc.tcDestructor = null;
    return;
  }
  const tc = tallocNode(ptr);
  tc.tcFlags &= ~FLAG_FREE;
  tc.tcDestructor = fn as TallocDestructor<never>;
}

/** The free itself: _tc_free_internal(). */
function freeInternal(tc: TallocNode): number {
  if ((tc.tcFlags & FLAG_LOOP) !== 0) {
    return 0; /* a free loop: stop looping */
  }
  const d = tc.tcDestructor;
  if (d !== null) {
    if (d === DESTRUCTOR_BUSY) return -1; /* freed again from inside its own destructor */
    tc.tcDestructor = DESTRUCTOR_BUSY;
    let r: number | void;
    try {
      r = (d as TallocDestructor<object>)(tc.tcPtr);
    } catch (e) {
      if (tc.tcDestructor === DESTRUCTOR_BUSY) tc.tcDestructor = d;
      throw e;
    }
    if (r === -1) {
      /* only put it back if the destructor did not set another one */
      if (tc.tcDestructor === DESTRUCTOR_BUSY) tc.tcDestructor = d;
      return -1;
    }
    if (tc.tcDestructor === DESTRUCTOR_BUSY) tc.tcDestructor = null;
  }
  return freeAfterDestructor(tc);
}

/* The rest of the free, once the destructor allowed it. */
function freeAfterDestructor(tc: TallocNode): number {
  /* a lazy child with a destructor is freed as a node, in its place (the oldest) */
  if ((tc.tcFlags & FLAG_LAZY) !== 0 && lazyHasDestructor(tc)) unlazy(tc);
  /*
   * talloc only keeps the parent pointer on the newest sibling; after the
   * unlink a chunk that was not the newest has no way back to its parent.
   * Children that refuse to die go to that parent (or the null context).
   */
  const parent = tc.tcParent;
  const wasHead = parent !== null && parent.tcChild === tc;
  unlink(tc);
  if (tc.tcChild !== null) {
    tc.tcFlags |= FLAG_LOOP;
    freeChildrenInternal(tc, wasHead ? parent : null);
    tc.tcFlags &= ~FLAG_LOOP;
  }
  /* a lazy child is freed with it (no children; one with a destructor was made a node above) */
  tc.tcFlags = (tc.tcFlags & ~FLAG_LAZY) | FLAG_FREE;
  return 0;
}

/* _tc_free_children_internal(): free every child, newest first. */
function freeChildrenInternal(tc: TallocNode, grandparent: TallocNode | null): void {
  while (tc.tcChild !== null) {
    const child = tc.tcChild;
    if (freeInternal(child) === -1) {
      if (child.tcParent !== tc) continue; /* its destructor moved it already */
      unlink(child);
      if (grandparent !== null) linkHead(grandparent, child);
    }
  }
  /* the lazy child, oldest, last: one with a destructor is freed as a node */
  if (lazyHasDestructor(tc)) {
    unlazy(tc);
    freeChildrenInternal(tc, grandparent);
    return;
  }
  tc.tcFlags &= ~FLAG_LAZY;
}

/**
 * talloc_free(): run ptr's destructor, then free its children.
 * Returns 0, or -1 when a destructor refused (or ptr is null).
 */
export function tallocFree(ptr: unknown): number {
  /* the body is called, never inlined into the caller (see reqCreate in tevent/req.ts).
   * An object that is its own node (a request) has a body of its own: the
   * optimized code that frees requests then never sees a context or a
   * user's object (a context is typically freed once, after thousands of
   * requests: seeing it would throw that code away).  Inlined into the
   * caller, the test costs nothing once the caller knows ptr's class. */
  if (ptr !== null && ptr !== undefined && (ptr as WithNode)[NODE] === ptr) {
    return bodies.freeSelf.call(undefined, ptr as TallocNode);
  }
  return bodies.free.call(undefined, ptr);
}

/* the bodies, in fields V8 does not treat as constants (stored twice): see reqCreate in tevent/req.ts */
const bodies = {
  free: null as unknown as typeof free,
  freeSelf: null as unknown as typeof freeSelf,
};

/* free() of an object that is its own node */
function freeSelf(tc: TallocNode): number {
  if ((tc.tcFlags & FLAG_FREE) !== 0) {
    setErrno(EINVAL);
    return -1;
  }
  return freeInternal(tc);
}

function free(ptr: unknown): number {
  if (ptr === null || ptr === undefined) {
    setErrno(EINVAL);
    return -1;
  }
  let tc = (ptr as WithNode)[NODE];
  if (!tc) {
    if (!isObject(ptr)) return 0; /* a string or number: nothing to release */
    tc = tallocNodeNew(ptr);
  } else if (tc.tcPtr !== ptr) {
    tc = lazyNode(ptr as object, tc);
  }
  if ((tc.tcFlags & FLAG_FREE) !== 0) {
    /* C aborts on a double free; here it is refused and changes nothing */
    setErrno(EINVAL);
    return -1;
  }
  return freeInternal(tc);
}

bodies.free = free;
bodies.freeSelf = freeSelf;

/** talloc_free_children(): free the children of ptr, but not ptr. */
export function tallocFreeChildren(ptr: unknown): void {
  if (!isObject(ptr)) return;
  const tc = tallocPeekNode(ptr);
  if (tc === null) return;
  freeChildrenInternal(tc, tc.tcParent);
}

/** True when ptr has been freed by tallocFree (and not re-attached since). */
export function tallocIsFreed(ptr: unknown): boolean {
  if (!isObject(ptr)) return false;
  const tc = tallocPeekNode(ptr);
  return tc !== null && (tc.tcFlags & FLAG_FREE) !== 0;
}

/** talloc_total_blocks(): ptr plus all its descendants. */
export function tallocTotalBlocks(ptr: unknown): number {
  if (!isObject(ptr)) return 0;
  const tc = tallocPeekNode(ptr);
  if (tc === null) return 1;
  unlazy(tc);
  let n = 1;
  for (let c = tc.tcChild; c !== null; c = c.tcNext) n += tallocTotalBlocks(c.tcPtr);
  return n;
}

/** The children of ptr, newest first (talloc's own order). */
export function tallocChildren(ptr: unknown): object[] {
  const out: object[] = [];
  if (!isObject(ptr)) return out;
  const tc = tallocPeekNode(ptr);
  if (tc !== null) unlazy(tc);
  for (let c = tc !== null ? tc.tcChild : null; c !== null; c = c.tcNext) out.push(c.tcPtr);
  return out;
}

/** talloc_set_name_const(). */
export function tallocSetName(ptr: object, name: string): void {
  if (!isObject(ptr)) throw new TypeError("tallocSetName: ptr must be an object");
  if (typeof name !== "string") throw new TypeError("tallocSetName: name must be a string");
  tallocNode(ptr).tcName = name;
}

/** talloc_get_name(): the name set, else the object's class name. */
export function tallocGetName(ptr: unknown): string {
  if (!isObject(ptr)) return "UNNAMED";
  const tc = tallocPeekNode(ptr);
  if (tc !== null && tc.tcName !== null) return tc.tcName;
  /* library classes carry C's type name ("struct tevent_req") */
  const ctor = (ptr as { constructor?: { name?: string; tallocName?: string } }).constructor;
  if (ctor && typeof ctor.tallocName === "string") return ctor.tallocName;
  return ctor && typeof ctor.name === "string" && ctor.name !== "" ? ctor.name : "UNNAMED";
}
