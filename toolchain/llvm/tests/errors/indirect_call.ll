; EXPECT: bad_indirect_caller
; An indirect call with 6 arguments cannot be rewritten (callee unknown).
define i64 @bad_indirect_caller(ptr %fp, i64 %a) {
  %r = call i64 %fp(i64 %a, i64 %a, i64 %a, i64 %a, i64 %a, i64 %a)
  ret i64 %r
}
