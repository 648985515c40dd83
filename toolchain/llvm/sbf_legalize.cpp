//===- sbf_legalize.cpp - make a linked Rust module digestible for BPF llc -===//
//
// New-PM pass plugin for opt-22.  Pipeline names:
//   sbf-legalize            transform + final checks (floats, leftovers)
//   sbf-legalize<no-check>  transform only (use before cleanup passes)
//
// Upstream LLVM's BPF backend reports these as non-fatal errors and then emits
// wrong code, so they are rewritten here on the fully linked module:
//  * `sret` attributes are dropped (an sret pointer is a plain pointer arg).
//  * Returns wider than one register (structs, arrays, vectors, > i64) become
//    a leading `ptr` argument to a caller-allocated slot; the function then
//    returns void.
//  * Argument registers are counted in 64-bit slots (i128 = 2 slots, as the
//    backend does).  A function needing > 5 slots keeps its longest prefix of
//    parameters that fits in 4 slots; ALL remaining parameters are stored by
//    the caller into an entry-block alloca of a literal struct {rest...}
//    whose address becomes the last argument (slot 5).  The callee loads them
//    in its entry block.  Direct `call`/`invoke` sites are rewritten; any other
//    use of such a function (address taken, indirect call, external
//    declaration, varargs, musttail) is a hard error.
//  * mul i128, {u,s}mul.with.overflow.{i64,i128}: 64-bit ops; the high half
//    of a 64x64 product is a 32-bit-half schoolbook (BPF has no mulh).
//  * shl/lshr/ashr i128 by a non-constant amount: 64-bit ops + selects
//    (constant amounts are handled by the backend itself); fshl/fshr i128.
//  * sdiv/srem of <= 64 bits (BPF v1/v2 have no signed division): udiv/urem on
//    magnitudes plus sign fix-up.  Wider div/rem must already have been
//    expanded by `expand-ir-insts` with -expand-div-rem-bits=64 (run BEFORE
//    this pass; its output -- i128 shifts, ctlz -- is then legalised here),
//    except division by a constant +-2^k, which that pass skips and this one
//    turns into biased shifts.
//  * mul iN for N > 128 (multiples of 64): 64-bit limb schoolbook (LLVM forms
//    mul i256 for u128 division by a constant).
//  * llvm.memcpy/memmove/memset with a non-constant length or a length above
//    MemInlineMax (64 bytes) become `nobuiltin` calls to the module's own
//    memcpy/memmove/memset (declared if absent -> unresolved for the linker).
//    Smaller constant ones are left for the backend to inline.
//  * Floating-point computation (arithmetic, fcmp, FP conversions, FP
//    intrinsics) in a function that survives GlobalDCE is a hard error (all
//    offending functions are listed, then opt exits 1). Moving FP values
//    around (load/store/bitcast/select/phi/arguments) is allowed: llc softens
//    it to plain 64-bit integer operations.
//  * Anything the above should have removed but did not (e.g. i256 mul, i128
//    div when the expansion pass was not run) is a hard error too.
//
// Mutation switch for self-tests: SBF_LEGALIZE_BREAK=<name>[,<name>...]
//   mul128  : mul i128 drops the high half of lo*lo (hi = cross terms only)
//   umulo   : {u,s}mul.with.overflow returns the inverted overflow flag
//   shift128: variable i128 shifts drop the bits crossing between halves
//   args    : the first packed (spilled) argument is passed as zero
//   memcpy  : lowered memcpy/memmove/memset calls get length-1 (if len > 0)
//===----------------------------------------------------------------------===//

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Module.h"
#include "llvm/IR/PassManager.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Plugins/PassPlugin.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/IPO/GlobalDCE.h"
#include "llvm/Transforms/Utils/Local.h"
#include <cstdlib>
#include <optional>

using namespace llvm;

namespace {

constexpr unsigned MaxArgSlots = 5;     // r1..r5
constexpr uint64_t MemInlineMax = 64;   // bytes; larger/variable -> libcall

enum BreakBits : unsigned {
  BrMul128 = 1, BrUmulo = 2, BrShift = 4, BrArgs = 8, BrMemcpy = 16
};

unsigned readBreakMask() {
  const char *E = std::getenv("SBF_LEGALIZE_BREAK");
  if (!E)
    return 0;
  unsigned Mask = 0;
  SmallVector<StringRef> Parts;
  StringRef(E).split(Parts, ',', -1, false);
  for (StringRef P : Parts) {
    P = P.trim();
    unsigned Bit = StringSwitch<unsigned>(P)
                       .Case("mul128", BrMul128).Case("umulo", BrUmulo)
                       .Case("shift128", BrShift).Case("args", BrArgs)
                       .Case("memcpy", BrMemcpy).Default(0);
    if (!Bit)
      reportFatalUsageError("SBF_LEGALIZE_BREAK: unknown name '" + P + "'");
    Mask |= Bit;
  }
  return Mask;
}

// How a signature must change.  Params [0, NumKept) stay, the rest are packed.
struct SigPlan {
  bool RetPtr = false;
  unsigned NumKept = 0;
  StructType *PackTy = nullptr;
  FunctionType *NewTy = nullptr;
};

struct Halves {
  Value *Lo, *Hi;
};

class Legalizer {
  Module &M;
  LLVMContext &Ctx;
  const DataLayout &DL;
  unsigned Brk;
  Type *I64, *I128, *PtrTy;
  std::vector<std::string> Errors;

public:
  Legalizer(Module &M, unsigned Brk)
      : M(M), Ctx(M.getContext()), DL(M.getDataLayout()), Brk(Brk),
        I64(Type::getInt64Ty(Ctx)), I128(Type::getInt128Ty(Ctx)),
        PtrTy(PointerType::get(Ctx, 0)) {}

  bool run(ModuleAnalysisManager &MAM, bool Check);

private:
  void error(const Twine &T) { Errors.push_back(T.str()); }

  // ---- signatures -------------------------------------------------------
  unsigned slots(Type *T) const {
    if (T->isPointerTy())
      return 1;
    uint64_t Bits = DL.getTypeSizeInBits(T).getKnownMinValue();
    return std::max<uint64_t>(1, (Bits + 63) / 64);
  }
  static bool retNeedsPtr(Type *T) {
    if (T->isVoidTy() || T->isPointerTy() || T->isFloatingPointTy())
      return false; // floats are reported by the float check instead
    return !T->isIntegerTy() || T->getIntegerBitWidth() > 64;
  }
  std::optional<SigPlan> plan(FunctionType *FT);
  void dropSRet();
  void rewriteSignatures();
  void rewriteFunction(Function *F, const SigPlan &P);
  AttributeList mapAttrs(AttributeList AL, const SigPlan &P, unsigned NParams);
  void rewriteCall(CallBase *CB, Function *NF, const SigPlan &P);

  // ---- arithmetic / memory ----------------------------------------------
  void expandFunction(Function &F);
  Halves split(IRBuilder<> &B, Value *V) {
    return {B.CreateTrunc(V, I64), B.CreateTrunc(B.CreateLShr(V, 64), I64)};
  }
  Value *join(IRBuilder<> &B, Halves H) {
    return B.CreateOr(B.CreateZExt(H.Lo, I128),
                      B.CreateShl(B.CreateZExt(H.Hi, I128), 64));
  }
  Value *mulHi64(IRBuilder<> &B, Value *A, Value *C);
  Value *mul128(IRBuilder<> &B, Value *A, Value *C);
  Value *mulWide(IRBuilder<> &B, Value *A, Value *C, unsigned Bits);
  Value *divByPowerOfTwo(IRBuilder<> &B, Instruction *I);
  Halves shift128(IRBuilder<> &B, unsigned Opc, Halves X, Value *N);
  Value *shift128(IRBuilder<> &B, unsigned Opc, Value *X, Value *Amt);
  std::pair<Value *, Value *> mulOverflow(IRBuilder<> &B, Intrinsic::ID ID,
                                          Value *A, Value *C);
  void lowerMemIntrinsic(MemIntrinsic *MI);

  // ---- checks -------------------------------------------------------------
  std::optional<std::string> residual(Instruction &I);
  bool hasFloat(Instruction &I);
  void checkFloats();
};

// Does a call of this type need the spill/return-pointer treatment?
std::optional<SigPlan> Legalizer::plan(FunctionType *FT) {
  SigPlan P;
  P.RetPtr = retNeedsPtr(FT->getReturnType());
  unsigned Total = P.RetPtr;
  for (Type *T : FT->params())
    Total += slots(T);
  if (!P.RetPtr && Total <= MaxArgSlots)
    return std::nullopt;
  SmallVector<Type *> NewParams;
  if (P.RetPtr)
    NewParams.push_back(PtrTy);
  unsigned N = FT->getNumParams();
  if (Total <= MaxArgSlots) {
    P.NumKept = N;
  } else {
    // Keep a prefix in 4 slots, slot 5 carries the pointer to the rest.
    unsigned Used = P.RetPtr;
    while (P.NumKept < N && Used + slots(FT->getParamType(P.NumKept)) <= 4)
      Used += slots(FT->getParamType(P.NumKept++));
    P.PackTy = StructType::get(Ctx, FT->params().drop_front(P.NumKept));
  }
  for (unsigned I = 0; I < P.NumKept; ++I)
    NewParams.push_back(FT->getParamType(I));
  if (P.PackTy)
    NewParams.push_back(PtrTy);
  Type *Ret = P.RetPtr ? Type::getVoidTy(Ctx) : FT->getReturnType();
  P.NewTy = FunctionType::get(Ret, NewParams, false);
  return P;
}

void Legalizer::dropSRet() {
  for (Function &F : M) {
    for (unsigned I = 0; I < F.arg_size(); ++I)
      F.removeParamAttr(I, Attribute::StructRet);
    for (Instruction &I : instructions(F))
      if (auto *CB = dyn_cast<CallBase>(&I))
        for (unsigned A = 0; A < CB->arg_size(); ++A)
          CB->removeParamAttr(A, Attribute::StructRet);
  }
}

static bool isUsedListEntry(const Use &U) {
  // @llvm.used / @llvm.compiler.used keep symbols alive; just retarget them.
  auto *CA = dyn_cast<ConstantArray>(U.getUser());
  if (!CA)
    return false;
  for (const User *G : CA->users())
    if (auto *GV = dyn_cast<GlobalVariable>(G))
      if (GV->getName() == "llvm.used" || GV->getName() == "llvm.compiler.used")
        return true;
  return false;
}

void Legalizer::rewriteSignatures() {
  SmallVector<std::pair<Function *, SigPlan>> Work;
  size_t ErrorsBefore = Errors.size();
  // Indirect (or type-mismatched) calls cannot be fixed: the callee is unknown.
  for (Function &F : M)
    for (Instruction &I : instructions(F))
      if (auto *CB = dyn_cast<CallBase>(&I)) {
        if (CB->isInlineAsm() || isa<IntrinsicInst>(CB))
          continue;
        Function *Callee = CB->getCalledFunction();
        if (Callee && Callee->getFunctionType() == CB->getFunctionType())
          continue;
        if (plan(CB->getFunctionType()))
          error("indirect call in function '" + F.getName() +
                "' needs more than 5 argument registers or returns an "
                "aggregate (cannot be legalised for BPF)");
      }
  for (Function &F : M) {
    if (F.isIntrinsic())
      continue;
    auto P = plan(F.getFunctionType());
    if (!P)
      continue;
    bool Bad = false;
    for (const Use &U : F.uses()) {
      if (isUsedListEntry(U))
        continue;
      auto *CB = dyn_cast<CallBase>(U.getUser());
      if (!CB || !CB->isCallee(&U) ||
          CB->getFunctionType() != F.getFunctionType()) {
        error("address of function '" + F.getName() +
              "' is taken but it needs more than 5 argument registers or "
              "returns an aggregate");
        Bad = true;
        break;
      }
      if (F.isDeclaration()) {
        error("call to external function '" + F.getName() + "' from '" +
              CB->getFunction()->getName() +
              "' needs more than 5 argument registers or returns an aggregate");
        Bad = true;
        break;
      }
      if (CB->isMustTailCall()) {
        error("musttail call to '" + F.getName() + "' cannot be rewritten");
        Bad = true;
        break;
      }
    }
    if (!Bad && !F.isDeclaration() && F.isVarArg()) {
      error("varargs function '" + F.getName() + "' with too many arguments");
      Bad = true;
    }
    // A packed byval argument would lose its copy-on-call semantics.
    for (unsigned I = P->NumKept; !Bad && I < F.arg_size(); ++I)
      if (F.hasParamAttribute(I, Attribute::ByVal) ||
          F.hasParamAttribute(I, Attribute::InAlloca) ||
          F.hasParamAttribute(I, Attribute::Preallocated)) {
        error("function '" + F.getName() +
              "' passes a byval/inalloca argument beyond register 5");
        Bad = true;
      }
    if (!Bad && !F.isDeclaration())
      Work.push_back({&F, *P});
  }
  if (Errors.size() != ErrorsBefore)
    return; // do not half-rewrite a module that will be rejected anyway
  for (auto &[F, P] : Work)
    rewriteFunction(F, P);
}

AttributeList Legalizer::mapAttrs(AttributeList AL, const SigPlan &P,
                                  unsigned NParams) {
  // The function now reads/writes memory through the new pointers.
  AttrBuilder FnB(Ctx, AL.getFnAttrs());
  FnB.removeAttribute(Attribute::Memory);
  FnB.removeAttribute(Attribute::Speculatable);
  SmallVector<AttributeSet> Params;
  if (P.RetPtr)
    Params.push_back(AttributeSet());
  for (unsigned I = 0; I < P.NumKept && I < NParams; ++I) {
    AttributeSet S = AL.getParamAttrs(I);
    if (P.RetPtr)
      S = S.removeAttribute(Ctx, Attribute::Returned);
    Params.push_back(S);
  }
  if (P.PackTy)
    Params.push_back(AttributeSet());
  return AttributeList::get(Ctx, AttributeSet::get(Ctx, FnB),
                            P.RetPtr ? AttributeSet() : AL.getRetAttrs(),
                            Params);
}

void Legalizer::rewriteFunction(Function *F, const SigPlan &P) {
  Function *NF = Function::Create(P.NewTy, F->getLinkage(),
                                  F->getAddressSpace(), "");
  M.getFunctionList().insert(F->getIterator(), NF);
  NF->copyAttributesFrom(F);
  NF->setAttributes(mapAttrs(F->getAttributes(), P, F->arg_size()));
  NF->copyMetadata(F, 0);
  NF->takeName(F);
  NF->splice(NF->begin(), F);

  IRBuilder<> B(&*NF->getEntryBlock().getFirstInsertionPt());
  unsigned Off = P.RetPtr;
  for (unsigned I = 0; I < F->arg_size(); ++I) {
    Argument *Old = F->getArg(I);
    Value *New;
    if (I < P.NumKept) {
      New = NF->getArg(I + Off);
    } else {
      Value *GEP = B.CreateStructGEP(P.PackTy, NF->getArg(NF->arg_size() - 1),
                                     I - P.NumKept);
      New = B.CreateLoad(Old->getType(), GEP);
    }
    New->takeName(Old);
    Old->replaceAllUsesWith(New);
  }
  if (P.RetPtr) {
    SmallVector<ReturnInst *> Rets;
    for (BasicBlock &BB : *NF)
      if (auto *R = dyn_cast<ReturnInst>(BB.getTerminator()))
        Rets.push_back(R);
    for (ReturnInst *R : Rets) {
      IRBuilder<> RB(R);
      RB.CreateStore(R->getReturnValue(), NF->getArg(0));
      RB.CreateRetVoid();
      R->eraseFromParent();
    }
  }
  SmallVector<CallBase *> Calls;
  for (User *U : F->users())
    if (auto *CB = dyn_cast<CallBase>(U))
      Calls.push_back(CB);
  for (CallBase *CB : Calls)
    rewriteCall(CB, NF, P);
  F->replaceAllUsesWith(NF); // only @llvm.used entries remain
  F->eraseFromParent();
}

void Legalizer::rewriteCall(CallBase *CB, Function *NF, const SigPlan &P) {
  Function *Caller = CB->getFunction();
  IRBuilder<> EB(&*Caller->getEntryBlock().getFirstInsertionPt());
  IRBuilder<> B(CB);
  FunctionType *OldTy = CB->getFunctionType();
  SmallVector<Value *> Args;
  AllocaInst *RetSlot = nullptr;
  if (P.RetPtr) {
    RetSlot = EB.CreateAlloca(OldTy->getReturnType(), nullptr, "sbf.ret");
    Args.push_back(RetSlot);
  }
  for (unsigned I = 0; I < P.NumKept; ++I)
    Args.push_back(CB->getArgOperand(I));
  if (P.PackTy) {
    AllocaInst *Pack = EB.CreateAlloca(P.PackTy, nullptr, "sbf.args");
    for (unsigned I = P.NumKept; I < CB->arg_size(); ++I) {
      Value *V = CB->getArgOperand(I);
      if ((Brk & BrArgs) && I == P.NumKept)
        V = Constant::getNullValue(V->getType());
      B.CreateStore(V, B.CreateStructGEP(P.PackTy, Pack, I - P.NumKept));
    }
    Args.push_back(Pack);
  }
  SmallVector<OperandBundleDef> Bundles;
  CB->getOperandBundlesAsDefs(Bundles);
  CallBase *NCB;
  if (auto *II = dyn_cast<InvokeInst>(CB)) {
    NCB = InvokeInst::Create(P.NewTy, NF, II->getNormalDest(),
                             II->getUnwindDest(), Args, Bundles, "",
                             CB->getIterator());
  } else {
    auto *CI = CallInst::Create(P.NewTy, NF, Args, Bundles, "",
                                CB->getIterator());
    CI->setTailCallKind(CallInst::TCK_None); // we pass caller allocas
    NCB = CI;
  }
  NCB->setCallingConv(CB->getCallingConv());
  NCB->setAttributes(mapAttrs(CB->getAttributes(), P, CB->arg_size()));
  NCB->copyMetadata(*CB);
  NCB->setDebugLoc(CB->getDebugLoc());

  if (P.RetPtr) {
    if (!CB->use_empty()) {
      BasicBlock::iterator At;
      if (auto *II = dyn_cast<InvokeInst>(NCB)) {
        // Load on the normal edge only: give it a block of its own.
        BasicBlock *Normal = II->getNormalDest();
        BasicBlock *Mid = BasicBlock::Create(Ctx, "sbf.ret.load", Caller, Normal);
        BranchInst::Create(Normal, Mid);
        Normal->replacePhiUsesWith(II->getParent(), Mid);
        II->setNormalDest(Mid);
        At = Mid->getFirstInsertionPt();
      } else {
        At = std::next(NCB->getIterator());
      }
      IRBuilder<> LB(At->getParent(), At);
      Value *L = LB.CreateLoad(OldTy->getReturnType(), RetSlot);
      CB->replaceAllUsesWith(L);
    }
  } else if (!CB->getType()->isVoidTy()) {
    NCB->takeName(CB);
    CB->replaceAllUsesWith(NCB);
  }
  CB->eraseFromParent();
}

// High 64 bits of the 128-bit product of two u64, from four 32x32->64 muls.
Value *Legalizer::mulHi64(IRBuilder<> &B, Value *A, Value *C) {
  Value *M32 = B.getInt64(0xffffffffULL);
  Value *AL = B.CreateAnd(A, M32), *AH = B.CreateLShr(A, 32);
  Value *CL = B.CreateAnd(C, M32), *CH = B.CreateLShr(C, 32);
  Value *LL = B.CreateMul(AL, CL), *LH = B.CreateMul(AL, CH);
  Value *HL = B.CreateMul(AH, CL), *HH = B.CreateMul(AH, CH);
  // All terms of weight 2^32: three values < 2^32, so the sum cannot wrap.
  Value *Mid = B.CreateAdd(B.CreateAdd(B.CreateLShr(LL, 32), B.CreateAnd(LH, M32)),
                           B.CreateAnd(HL, M32));
  return B.CreateAdd(B.CreateAdd(HH, B.CreateLShr(LH, 32)),
                     B.CreateAdd(B.CreateLShr(HL, 32), B.CreateLShr(Mid, 32)));
}

// (a1:a0)*(b1:b0) mod 2^128 = a0*b0 + ((a0*b1 + a1*b0) << 64)
Value *Legalizer::mul128(IRBuilder<> &B, Value *A, Value *C) {
  Halves X = split(B, A), Y = split(B, C);
  Value *Cross = B.CreateAdd(B.CreateMul(X.Lo, Y.Hi), B.CreateMul(X.Hi, Y.Lo));
  Value *Hi = (Brk & BrMul128) ? Cross
                               : B.CreateAdd(mulHi64(B, X.Lo, Y.Lo), Cross);
  return join(B, {B.CreateMul(X.Lo, Y.Lo), Hi});
}

// mul iN for N a multiple of 64 above 128, modulo 2^N: schoolbook over 64-bit limbs
// with explicit carries. LLVM forms these from u128 division by a constant (a
// multiply-high through i256, e.g. in core::fmt's u128 Display); llc would need a
// libcall for them.
Value *Legalizer::mulWide(IRBuilder<> &B, Value *A, Value *C, unsigned Bits) {
  unsigned N = Bits / 64;
  Type *I64 = B.getInt64Ty(), *Wide = B.getIntNTy(Bits);
  auto limbs = [&](Value *V) {
    SmallVector<Value *, 8> L;
    for (unsigned K = 0; K < N; ++K)
      L.push_back(B.CreateTrunc(K ? B.CreateLShr(V, 64 * K) : V, I64));
    return L;
  };
  SmallVector<Value *, 8> X = limbs(A), Y = limbs(C), Acc(N, B.getInt64(0));
  // Acc += V << (64 * K), carries rippling up to the top limb.
  auto addAt = [&](unsigned K, Value *V) {
    for (unsigned T = K; T < N; ++T) {
      Value *Sum = B.CreateAdd(Acc[T], V);
      V = B.CreateZExt(B.CreateICmpULT(Sum, V), I64);
      Acc[T] = Sum;
    }
  };
  for (unsigned I = 0; I < N; ++I)
    for (unsigned J = 0; I + J < N; ++J) {
      addAt(I + J, B.CreateMul(X[I], Y[J]));
      if (I + J + 1 < N)
        addAt(I + J + 1, mulHi64(B, X[I], Y[J]));
    }
  Value *R = B.CreateZExt(Acc[0], Wide);
  for (unsigned K = 1; K < N; ++K)
    R = B.CreateOr(R, B.CreateShl(B.CreateZExt(Acc[K], Wide), 64 * K));
  return R;
}

// Wide div/rem by a constant +-2^k, which LLVM's expand-ir-insts deliberately
// skips (it leaves them to backend peepholes that upstream BPF lacks for i128).
// Signed division truncates toward zero: bias negative dividends by 2^k - 1.
// Only constant shifts are emitted; llc lowers those. Returns null otherwise.
Value *Legalizer::divByPowerOfTwo(IRBuilder<> &B, Instruction *I) {
  auto *CI = dyn_cast<ConstantInt>(I->getOperand(1));
  if (!CI)
    return nullptr;
  unsigned Op = I->getOpcode();
  bool Signed = Op == Instruction::SDiv || Op == Instruction::SRem;
  bool Div = Op == Instruction::SDiv || Op == Instruction::UDiv;
  APInt D = Signed ? CI->getValue().abs() : CI->getValue();
  if (!D.isPowerOf2()) // abs(INT_MIN) reads as 2^(N-1) here: still a power of 2
    return nullptr;
  unsigned K = D.logBase2(), Bits = I->getType()->getIntegerBitWidth();
  Value *X = I->getOperand(0);
  Type *Ty = I->getType();
  if (!Signed)
    return Div ? (K ? B.CreateLShr(X, K) : X)
               : B.CreateAnd(X, ConstantInt::get(Ty, D - 1));
  bool Negative = CI->getValue().isNegative();
  Value *Q;
  if (K == 0) {
    Q = X;
  } else {
    Value *Sign = B.CreateAShr(X, Bits - 1);            // 0 or -1
    Value *Bias = B.CreateLShr(Sign, Bits - K);          // 0 or 2^k - 1
    Q = B.CreateAShr(B.CreateAdd(X, Bias), K);
  }
  if (!Div) // x - trunc(x / 2^k) * 2^k; the divisor's sign does not matter
    return K ? B.CreateSub(X, B.CreateShl(Q, K)) : ConstantInt::get(Ty, 0);
  return Negative ? B.CreateNeg(Q) : Q;
}

// i128 shift by N (i64, only N mod 128 matters).  Works on m = N & 63 so no
// 64-bit shift is ever out of range; bit 6 of N selects the "big" form.
Halves Legalizer::shift128(IRBuilder<> &B, unsigned Opc, Halves X, Value *N) {
  Value *Mk = B.CreateAnd(N, 63);
  Value *Big = B.CreateICmpNE(B.CreateAnd(N, 64), B.getInt64(0));
  Value *Inv = B.CreateSub(B.getInt64(63), Mk); // 63 - m, in [0,63]
  Value *Zero = B.getInt64(0);
  Value *SmallLo, *SmallHi, *BigLo, *BigHi;
  if (Opc == Instruction::Shl) {
    // bits crossing lo->hi: lo >> (64 - m), written as (lo >> 1) >> (63 - m)
    Value *Cross = B.CreateLShr(B.CreateLShr(X.Lo, 1), Inv);
    if (Brk & BrShift)
      Cross = Zero;
    SmallLo = B.CreateShl(X.Lo, Mk);
    SmallHi = B.CreateOr(B.CreateShl(X.Hi, Mk), Cross);
    BigLo = Zero;
    BigHi = SmallLo;
  } else {
    Value *Cross = B.CreateShl(B.CreateShl(X.Hi, 1), Inv);
    if (Brk & BrShift)
      Cross = Zero;
    bool Arith = Opc == Instruction::AShr;
    SmallHi = Arith ? B.CreateAShr(X.Hi, Mk) : B.CreateLShr(X.Hi, Mk);
    SmallLo = B.CreateOr(B.CreateLShr(X.Lo, Mk), Cross);
    BigLo = SmallHi;
    BigHi = Arith ? B.CreateAShr(X.Hi, 63) : Zero;
  }
  return {B.CreateSelect(Big, BigLo, SmallLo),
          B.CreateSelect(Big, BigHi, SmallHi)};
}

Value *Legalizer::shift128(IRBuilder<> &B, unsigned Opc, Value *X, Value *Amt) {
  return join(B, shift128(B, Opc, split(B, X), B.CreateTrunc(Amt, I64)));
}

// Returns {wrapped product, overflow flag} for {u,s}mul.with.overflow.{i64,i128}.
std::pair<Value *, Value *>
Legalizer::mulOverflow(IRBuilder<> &B, Intrinsic::ID ID, Value *A, Value *C) {
  bool Signed = ID == Intrinsic::smul_with_overflow;
  Type *Ty = A->getType();
  bool Wide = Ty->getIntegerBitWidth() == 128;
  Value *Zero = ConstantInt::get(Ty, 0);
  Value *Neg = nullptr, *UA = A, *UC = C;
  if (Signed) { // overflow is decided on the magnitudes
    UA = B.CreateSelect(B.CreateICmpSLT(A, Zero), B.CreateNeg(A), A);
    UC = B.CreateSelect(B.CreateICmpSLT(C, Zero), B.CreateNeg(C), C);
    Neg = B.CreateICmpSLT(B.CreateXor(A, C), Zero);
  }
  Value *Prod, *UOf, *TopSet, *AboveMin;
  if (!Wide) {
    Prod = B.CreateMul(UA, UC);
    UOf = B.CreateICmpNE(mulHi64(B, UA, UC), B.getInt64(0));
    TopSet = B.CreateICmpSLT(Prod, B.getInt64(0));
    AboveMin = B.CreateICmpUGT(Prod, B.getInt64(1ULL << 63));
  } else {
    Halves X = split(B, UA), Y = split(B, UC);
    Value *Z = B.getInt64(0);
    Value *C1 = B.CreateMul(X.Hi, Y.Lo), *C2 = B.CreateMul(X.Lo, Y.Hi);
    Value *S = B.CreateAdd(C1, C2);
    Value *H = mulHi64(B, X.Lo, Y.Lo);
    Value *Hi = B.CreateAdd(H, S);
    Value *Lo = B.CreateMul(X.Lo, Y.Lo);
    Value *Ofs[] = {
        B.CreateAnd(B.CreateICmpNE(X.Hi, Z), B.CreateICmpNE(Y.Hi, Z)),
        B.CreateICmpNE(mulHi64(B, X.Hi, Y.Lo), Z),
        B.CreateICmpNE(mulHi64(B, X.Lo, Y.Hi), Z),
        B.CreateICmpULT(S, C1),   // carry of the cross-term sum
        B.CreateICmpULT(Hi, H)};  // carry into bit 128
    UOf = B.CreateOr(B.CreateOr(B.CreateOr(Ofs[0], Ofs[1]), Ofs[2]),
                     B.CreateOr(Ofs[3], Ofs[4]));
    Prod = join(B, {Lo, Hi});
    Value *MinHi = B.getInt64(1ULL << 63);
    TopSet = B.CreateICmpSLT(Hi, Z);
    AboveMin = B.CreateOr(B.CreateICmpUGT(Hi, MinHi),
                          B.CreateAnd(B.CreateICmpEQ(Hi, MinHi),
                                      B.CreateICmpNE(Lo, Z)));
  }
  Value *Of = UOf, *Res = Prod;
  if (Signed) {
    // |result| may reach 2^(N-1) only when the result is negative.
    Of = B.CreateOr(UOf, B.CreateSelect(Neg, AboveMin, TopSet));
    Res = B.CreateSelect(Neg, B.CreateNeg(Prod), Prod);
  }
  if (Brk & BrUmulo)
    Of = B.CreateNot(Of);
  return {Res, Of};
}

void Legalizer::lowerMemIntrinsic(MemIntrinsic *MI) {
  IRBuilder<> B(MI);
  Value *Len = B.CreateZExtOrTrunc(MI->getLength(), I64);
  if (Brk & BrMemcpy)
    Len = B.CreateSelect(B.CreateICmpEQ(Len, B.getInt64(0)), Len,
                         B.CreateSub(Len, B.getInt64(1)));
  CallInst *C;
  if (auto *MS = dyn_cast<MemSetInst>(MI)) {
    FunctionCallee F = M.getOrInsertFunction("memset", PtrTy, PtrTy,
                                             B.getInt32Ty(), I64);
    C = B.CreateCall(F, {MS->getDest(), B.CreateZExt(MS->getValue(),
                                                     B.getInt32Ty()), Len});
  } else {
    auto *MT = cast<MemTransferInst>(MI);
    StringRef Name = isa<MemMoveInst>(MI) ? "memmove" : "memcpy";
    FunctionCallee F = M.getOrInsertFunction(Name, PtrTy, PtrTy, PtrTy, I64);
    C = B.CreateCall(F, {MT->getDest(), MT->getSource(), Len});
  }
  // Keep instcombine from turning the call back into the intrinsic.
  C->addFnAttr(Attribute::NoBuiltin);
  C->setDebugLoc(MI->getDebugLoc());
  MI->eraseFromParent();
}

static bool isMemFunction(const Function &F) {
  StringRef N = F.getName();
  return N == "memcpy" || N == "memmove" || N == "memset";
}

void Legalizer::expandFunction(Function &F) {
  // WeakVH: extractvalue users of expanded intrinsics are deleted early.
  SmallVector<WeakVH> Work;
  for (Instruction &Inst : instructions(F))
    Work.push_back(&Inst);
  for (WeakVH &VH : Work) {
    auto *I = cast_or_null<Instruction>(VH);
    if (!I)
      continue;
    IRBuilder<> B(I);
    Type *Ty = I->getType();
    unsigned Bits = Ty->isIntegerTy() ? Ty->getIntegerBitWidth() : 0;
    Value *New = nullptr;
    switch (I->getOpcode()) {
    case Instruction::Mul:
      if (Bits == 128)
        New = mul128(B, I->getOperand(0), I->getOperand(1));
      else if (Bits > 128 && Bits % 64 == 0)
        New = mulWide(B, I->getOperand(0), I->getOperand(1), Bits);
      break;
    case Instruction::Shl:
    case Instruction::LShr:
    case Instruction::AShr:
      if (Bits == 128 && !isa<Constant>(I->getOperand(1)))
        New = shift128(B, I->getOpcode(), I->getOperand(0), I->getOperand(1));
      break;
    case Instruction::SDiv:
    case Instruction::SRem:
      if (Bits && Bits <= 64) {
        Value *A = I->getOperand(0), *C = I->getOperand(1);
        Value *Z = ConstantInt::get(Ty, 0);
        Value *NA = B.CreateICmpSLT(A, Z), *NC = B.CreateICmpSLT(C, Z);
        Value *UA = B.CreateSelect(NA, B.CreateNeg(A), A);
        Value *UC = B.CreateSelect(NC, B.CreateNeg(C), C);
        bool Div = I->getOpcode() == Instruction::SDiv;
        Value *R = Div ? B.CreateUDiv(UA, UC) : B.CreateURem(UA, UC);
        Value *Flip = Div ? B.CreateXor(NA, NC) : NA; // rem takes a's sign
        New = B.CreateSelect(Flip, B.CreateNeg(R), R);
      } else if (Bits > 64) {
        New = divByPowerOfTwo(B, I);
      }
      break;
    case Instruction::UDiv:
    case Instruction::URem:
      if (Bits > 64)
        New = divByPowerOfTwo(B, I);
      break;
    case Instruction::Call:
    case Instruction::Invoke:
      if (auto *MI = dyn_cast<MemIntrinsic>(I)) {
        Intrinsic::ID ID = MI->getIntrinsicID();
        auto *CL = dyn_cast<ConstantInt>(MI->getLength());
        if ((ID == Intrinsic::memcpy || ID == Intrinsic::memmove ||
             ID == Intrinsic::memset) &&
            !(CL && CL->getZExtValue() <= MemInlineMax) && !isMemFunction(F))
          lowerMemIntrinsic(MI);
      } else if (auto *II = dyn_cast<IntrinsicInst>(I)) {
        Intrinsic::ID ID = II->getIntrinsicID();
        Type *OpTy = II->arg_size() ? II->getArgOperand(0)->getType() : nullptr;
        unsigned OB = OpTy && OpTy->isIntegerTy() ? OpTy->getIntegerBitWidth() : 0;
        if ((ID == Intrinsic::umul_with_overflow ||
             ID == Intrinsic::smul_with_overflow) && (OB == 64 || OB == 128)) {
          auto [Res, Of] =
              mulOverflow(B, ID, II->getArgOperand(0), II->getArgOperand(1));
          // Feed extractvalue users directly, rebuild the pair for the rest.
          for (User *U : make_early_inc_range(II->users()))
            if (auto *EV = dyn_cast<ExtractValueInst>(U)) {
              EV->replaceAllUsesWith(EV->getIndices()[0] == 0 ? Res : Of);
              EV->eraseFromParent();
            }
          if (!II->use_empty())
            New = B.CreateInsertValue(
                B.CreateInsertValue(PoisonValue::get(Ty), Res, 0), Of, 1);
          else
            II->eraseFromParent();
        } else if ((ID == Intrinsic::fshl || ID == Intrinsic::fshr) &&
                   Bits == 128 && !isa<Constant>(II->getArgOperand(2))) {
          // fshl(a,b,s) = (a << s) | ((b >> 1) >> (127 - s)), s = amt & 127
          Value *A = II->getArgOperand(0), *C = II->getArgOperand(1);
          Value *S = B.CreateAnd(B.CreateTrunc(II->getArgOperand(2), I64), 127);
          Value *Inv = B.CreateSub(B.getInt64(127), S);
          if (ID == Intrinsic::fshl)
            New = B.CreateOr(shift128(B, Instruction::Shl, A, S),
                             shift128(B, Instruction::LShr,
                                      B.CreateLShr(C, 1), Inv));
          else
            New = B.CreateOr(shift128(B, Instruction::Shl,
                                      B.CreateShl(A, 1), Inv),
                             shift128(B, Instruction::LShr, C, S));
        }
      }
      break;
    default:
      break;
    }
    if (New) {
      New->takeName(I);
      I->replaceAllUsesWith(New);
      I->eraseFromParent();
    }
  }
}

// Anything still here would make llc print "error:" or emit a libcall.
std::optional<std::string> Legalizer::residual(Instruction &I) {
  Type *Ty = I.getType();
  unsigned Bits = Ty->isIntegerTy() ? Ty->getIntegerBitWidth() : 0;
  switch (I.getOpcode()) {
  case Instruction::Mul:
    if (Bits > 64)
      return "mul i" + std::to_string(Bits);
    break;
  case Instruction::UDiv: case Instruction::URem:
  case Instruction::SDiv: case Instruction::SRem:
    if (Bits > 64)
      return std::string(I.getOpcodeName()) + " i" + std::to_string(Bits) +
             " (run expand-ir-insts with -expand-div-rem-bits=64 first)";
    if (I.getOpcode() == Instruction::SDiv || I.getOpcode() == Instruction::SRem)
      return std::string("signed ") + I.getOpcodeName();
    break;
  case Instruction::Shl: case Instruction::LShr: case Instruction::AShr:
    if (Bits > 64 && !isa<Constant>(I.getOperand(1)))
      return std::string(I.getOpcodeName()) + " i" + std::to_string(Bits) +
             " by a variable amount";
    break;
  default:
    break;
  }
  if (auto *II = dyn_cast<IntrinsicInst>(&I)) {
    Intrinsic::ID ID = II->getIntrinsicID();
    Type *OpTy = II->arg_size() ? II->getArgOperand(0)->getType() : nullptr;
    unsigned OB = OpTy && OpTy->isIntegerTy() ? OpTy->getIntegerBitWidth() : 0;
    if ((ID == Intrinsic::umul_with_overflow ||
         ID == Intrinsic::smul_with_overflow) && OB > 32)
      return "mul.with.overflow i" + std::to_string(OB);
    if ((ID == Intrinsic::fshl || ID == Intrinsic::fshr) && OB > 64 &&
        !isa<Constant>(II->getArgOperand(2)))
      return "funnel shift i" + std::to_string(OB);
  } else if (auto *CB = dyn_cast<CallBase>(&I)) {
    if (!CB->isInlineAsm() && plan(CB->getFunctionType()))
      return std::string("call needing more than 5 argument registers or "
                         "returning an aggregate");
  }
  return std::nullopt;
}

// Floating-point COMPUTATION: arithmetic, comparisons, conversions and FP
// intrinsics, which llc would lower to soft-float libcalls BPF does not have.
// Moving FP values (load, store, bitcast, select, phi, call arguments) is fine:
// llc softens those to the same 64-bit integer operations.
bool Legalizer::hasFloat(Instruction &I) {
  auto IsFP = [](Type *T) { return T->getScalarType()->isFloatingPointTy(); };
  if (isa<FCmpInst>(I) || I.getOpcode() == Instruction::FNeg)
    return true;
  if (isa<BinaryOperator>(I) && IsFP(I.getType()))
    return true;
  if (auto *C = dyn_cast<CastInst>(&I))
    return !isa<BitCastInst>(C) && (IsFP(C->getSrcTy()) || IsFP(C->getDestTy()));
  if (auto *II = dyn_cast<IntrinsicInst>(&I)) {
    FunctionType *FT = II->getFunctionType();
    return IsFP(FT->getReturnType()) || any_of(FT->params(), IsFP);
  }
  return false;
}

void Legalizer::checkFloats() {
  for (Function &F : M) {
    if (F.isDeclaration())
      continue;
    auto FirstFloat = [&]() -> Instruction * {
      for (Instruction &I : instructions(F))
        if (hasFloat(I))
          return &I;
      return nullptr;
    };
    Instruction *Bad = FirstFloat();
    if (Bad && removeUnreachableBlocks(F))
      Bad = FirstFloat(); // only count code that can actually run
    if (!Bad)
      continue;
    std::string S;
    raw_string_ostream OS(S);
    OS << *Bad;
    error("floating point in function '" + F.getName() +
          "' (BPF has no FP support): " + StringRef(S).trim());
  }
}

bool Legalizer::run(ModuleAnalysisManager &MAM, bool Check) {
  dropSRet();
  rewriteSignatures();
  if (Errors.empty()) {
    for (Function &F : M)
      if (!F.isDeclaration())
        expandFunction(F);
    if (Check) {
      GlobalDCEPass().run(M, MAM); // report floats only in surviving code
      checkFloats();
    }
    for (Function &F : M) {
      if (F.isDeclaration())
        continue;
      if (!F.isIntrinsic() && plan(F.getFunctionType()))
        error("function '" + F.getName() +
              "' still needs more than 5 argument registers");
      for (Instruction &I : instructions(F))
        if (auto Why = residual(I))
          error(Twine("cannot legalise ") + *Why + " in function '" +
                F.getName() + "'");
    }
  }
  if (!Errors.empty()) {
    for (const std::string &E : Errors)
      errs() << "sbf-legalize: error: " << E << "\n";
    reportFatalUsageError("sbf-legalize: " + Twine(Errors.size()) +
                          " error(s); module cannot be compiled for SBF");
  }
  return true;
}

struct SBFLegalizePass : PassInfoMixin<SBFLegalizePass> {
  bool Check;
  explicit SBFLegalizePass(bool Check) : Check(Check) {}
  PreservedAnalyses run(Module &M, ModuleAnalysisManager &MAM) {
    Legalizer(M, readBreakMask()).run(MAM, Check);
    return PreservedAnalyses::none();
  }
  static bool isRequired() { return true; }
};

} // namespace

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo llvmGetPassPluginInfo() {
  return {LLVM_PLUGIN_API_VERSION, "sbf-legalize", "1",
          [](PassBuilder &PB) {
            PB.registerPipelineParsingCallback(
                [](StringRef Name, ModulePassManager &MPM,
                   ArrayRef<PassBuilder::PipelineElement>) {
                  if (Name == "sbf-legalize")
                    MPM.addPass(SBFLegalizePass(true));
                  else if (Name == "sbf-legalize<no-check>")
                    MPM.addPass(SBFLegalizePass(false));
                  else
                    return false;
                  return true;
                });
          }};
}
