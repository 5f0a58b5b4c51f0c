package libcontainer

import "testing"

func TestKeyPerm(t *testing.T) {
	for _, tc := range []struct {
		desc string
		want uint32
		ok   bool
	}{
		{"keyring;0;0;3f130000;_ses.ct", 0x3f130000, true},
		{"keyring;1000;1000;3f1b0008;_ses.a;b", 0x3f1b0008, true},
		{"keyring;0;0;3f130000", 0, false},
		{"keyring;0;0;xyz;_ses", 0, false},
	} {
		got, err := keyPerm(tc.desc)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("keyPerm(%q) = %#x, %v", tc.desc, got, err)
		}
	}
}
