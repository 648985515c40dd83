; A float only in an unreachable internal function is removed, not reported.
define i64 @live(i64 %a) {
  ret i64 %a
}
define internal double @dead(double %x) {
  %y = fadd double %x, 1.0
  ret double %y
}
; ...and a float in a block with no predecessors of a live function is ignored.
define i64 @live_with_dead_block(i64 %a) {
entry:
  ret i64 %a
orphan:
  %f = uitofp i64 %a to double
  %r = fptoui double %f to i64
  ret i64 %r
}
