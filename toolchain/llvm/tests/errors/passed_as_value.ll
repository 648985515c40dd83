; EXPECT: six_passed_as_value
; The function is called directly AND passed as a value.
declare void @register(ptr)
define internal i64 @six_passed_as_value(i64 %a, i64 %b, i64 %c, i64 %d, i64 %e, i64 %f) {
  ret i64 %f
}
define i64 @user(i64 %a) {
  call void @register(ptr @six_passed_as_value)
  %r = call i64 @six_passed_as_value(i64 %a, i64 %a, i64 %a, i64 %a, i64 %a, i64 %a)
  ret i64 %r
}
