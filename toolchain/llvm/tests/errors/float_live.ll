; EXPECT: float_user_one
; EXPECT: float_user_two
; NOT: dead_float_helper
; Floats in live functions are all reported; a dead internal one is not.
define i64 @float_user_one(i64 %a) {
  %f = uitofp i64 %a to double
  %g = fadd double %f, 1.5
  %r = fptoui double %g to i64
  ret i64 %r
}
define i64 @float_user_two(ptr %p) {
  %f = load float, ptr %p
  %g = fmul float %f, %f
  store float %g, ptr %p
  ret i64 0
}
define internal i64 @dead_float_helper(double %x) {
  %r = fptosi double %x to i64
  ret i64 %r
}
