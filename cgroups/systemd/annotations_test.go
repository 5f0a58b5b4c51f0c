package systemd

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func TestAnnotationProperties(t *testing.T) {
	got, err := annotationProperties(map[string]string{
		"org.systemd.property.CollectMode":        "'inactive-or-failed'",
		"org.systemd.property.TimeoutStopSec":     "uint64 12",
		"org.systemd.property.RuntimeMaxSec":      "1.5",
		"org.systemd.property.CPUQuotaPerSecUSec": "uint64 10000",
		"org.other": "ignored",
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`CPUQuotaPerSecUSec=@t 10000`, `CollectMode="inactive-or-failed"`, "RuntimeMaxUSec=@t 1500000", "TimeoutStopUSec=@t 12000000"}
	if s := show(got); !reflect.DeepEqual(s, want) {
		t.Errorf("got %q\nwant %q", s, want)
	}
	for _, tc := range []struct{ key, value, want string }{
		{"org.systemd.property.Ab", "true", "shorter than 3 letters"},
		{"org.systemd.property.Foo_Bar", "true", "only ASCII letters"},
		{"org.systemd.property.", "true", "shorter than 3 letters"},
		{"org.systemd.property.CollectMode", "inactive", "is not a GVariant text value"},
		{"org.systemd.property.TimeoutStopSec", "'ten'", "a number of seconds is needed"},
		{"org.systemd.property.TimeoutStopSec", "-1.0", "out of range"},
	} {
		_, err := annotationProperties(map[string]string{tc.key: tc.value})
		if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), fmt.Sprintf("annotations[%q]", tc.key)) {
			t.Errorf("%s=%s: error %v, want one naming the annotation with %q", tc.key, tc.value, err, tc.want)
		}
	}
}
