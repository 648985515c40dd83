; EXPECT: external_six
; EXPECT: calls_external
; A call to an external declaration with 6 arguments.
declare i64 @external_six(i64, i64, i64, i64, i64, i64)
define i64 @calls_external(i64 %a) {
  %r = call i64 @external_six(i64 %a, i64 %a, i64 %a, i64 %a, i64 %a, i64 %a)
  ret i64 %r
}
