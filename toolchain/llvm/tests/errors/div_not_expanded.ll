; EXPECT: divides_i128
; PIPELINE: sbf-legalize
; Without expand-ir-insts in front, an i128 udiv must be rejected, not passed on.
define i64 @divides_i128(i128 %a, i128 %b, ptr %p) {
  %q = udiv i128 %a, %b
  store i128 %q, ptr %p
  ret i64 0
}
