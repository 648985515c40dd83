; EXPECT: seven_args_in_vtable
; A >5-argument function whose address escapes (vtable) cannot be rewritten.
@vtable = global [1 x ptr] [ptr @seven_args_in_vtable]
define internal i64 @seven_args_in_vtable(i64 %a, i64 %b, i64 %c, i64 %d, i64 %e, i64 %f, i64 %g) {
  %x = add i64 %a, %g
  ret i64 %x
}
