package systemd

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"sort"
	"strings"

	sd "github.com/coreos/go-systemd/v22/dbus"
	"github.com/godbus/dbus/v5"
)

const annotationPrefix = "org.systemd.property."

// annotationProperties reads the annotations org.systemd.property.NAME=VALUE
// that runc documents: NAME is a unit property (letters only, at least 3),
// VALUE its value in GVariant text form ("uint64 1024", "'text'", "true").
// A NAME ending in "Sec" after a lowercase letter takes seconds and is
// passed as the property NAME in µs ("...USec"), as systemctl does.
func annotationProperties(annotations map[string]string) ([]sd.Property, error) {
	keys := make([]string, 0)
	for k := range annotations {
		if strings.HasPrefix(k, annotationPrefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var props []sd.Property
	for _, k := range keys {
		name := k[len(annotationPrefix):]
		if err := checkPropertyName(name); err != nil {
			return nil, fmt.Errorf("annotations[%q]: %w", k, err)
		}
		v, err := dbus.ParseVariant(annotations[k], dbus.Signature{})
		if err != nil {
			return nil, fmt.Errorf("annotations[%q]: value %q is not a GVariant text value such as \"uint64 1024\" or \"'text'\": %w", k, annotations[k], err)
		}
		if base, ok := strings.CutSuffix(name, "Sec"); ok && base[len(base)-1] >= 'a' && base[len(base)-1] <= 'z' {
			if v, err = secToUSec(v); err != nil {
				return nil, fmt.Errorf("annotations[%q]: %w", k, err)
			}
			name = base + "USec"
		}
		props = append(props, sd.Property{Name: name, Value: v})
	}
	return props, nil
}

func checkPropertyName(name string) error {
	if len(name) < 3 {
		return fmt.Errorf("property name %q is shorter than 3 letters", name)
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return fmt.Errorf("property name %q: only ASCII letters are allowed", name)
		}
	}
	return nil
}

// secToUSec converts a number of seconds to the uint64 µs of a *USec
// property.
func secToUSec(v dbus.Variant) (dbus.Variant, error) {
	var sec float64
	switch n := reflect.ValueOf(v.Value()); n.Kind() {
	case reflect.Uint64:
		if n.Uint() > math.MaxUint64/1000000 {
			return v, errors.New("the number of seconds is out of range")
		}
		return dbus.MakeVariant(n.Uint() * 1000000), nil
	case reflect.Uint8, reflect.Uint16, reflect.Uint32:
		sec = float64(n.Uint())
	case reflect.Int16, reflect.Int32, reflect.Int64:
		sec = float64(n.Int())
	case reflect.Float64:
		sec = n.Float()
	default:
		return v, fmt.Errorf("a number of seconds is needed, not %s", v.Signature())
	}
	if sec < 0 || math.IsNaN(sec) || sec*1e6 >= float64(math.MaxUint64) {
		return v, errors.New("the number of seconds is out of range")
	}
	return dbus.MakeVariant(uint64(math.Round(sec * 1e6))), nil
}
