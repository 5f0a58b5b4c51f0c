package libcontainer

import (
	"reflect"
	"testing"
)

func TestSplitLogRecords(t *testing.T) {
	cases := []struct {
		in   string
		logs []string
		rest string
	}{
		{"", nil, ""},
		{"exec /x: no such file", nil, "exec /x: no such file"},
		{"\x00start received\x00", []string{"start received"}, ""},
		{"\x00a\x00\x00b\x00process.cwd: bad", []string{"a", "b"}, "process.cwd: bad"},
		{"\x00a\x00err\x00cut", []string{"a", "cut"}, "err"},
	}
	for _, tc := range cases {
		logs, rest := splitLogRecords([]byte(tc.in))
		if !reflect.DeepEqual(logs, tc.logs) || string(rest) != tc.rest {
			t.Errorf("splitLogRecords(%q) = %q, %q; want %q, %q", tc.in, logs, rest, tc.logs, tc.rest)
		}
	}
}
