package serializer

import (
	"reflect"
	"strings"
	"sync"
)

// CanonicalUUID returns s lower-cased when it is a UUID in the hyphenated
// 8-4-4-4-12 form of any case, and false for anything else (no braces, no
// "urn:uuid:", no hyphen-less form). rtchat stores ids lower-case, so an id
// the client sent in upper case must reach the same row; one spelling per id
// also keeps a room's broker channel and order state single.
func CanonicalUUID(s string) (string, bool) {
	if len(s) != 36 {
		return "", false
	}
	upper := false
	for i := 0; i < 36; i++ {
		c := s[i]
		switch {
		case i == 8 || i == 13 || i == 18 || i == 23:
			if c != '-' {
				return "", false
			}
		case '0' <= c && c <= '9', 'a' <= c && c <= 'f':
		case 'A' <= c && c <= 'F':
			upper = true
		default:
			return "", false
		}
	}
	if upper {
		s = strings.ToLower(s)
	}
	return s, true
}

// uuidFields caches, per struct type, where its uuid-tagged strings are.
var uuidFields sync.Map // reflect.Type -> []uuidField

// uuidField is a field of a struct that holds ids: a string, *string or
// []string with a uuid check (the ids themselves), or a struct, *struct or
// []struct that may hold some (nested).
type uuidField struct {
	index  int
	nested bool
}

// normalizeUUIDs lower-cases, in place, every string field of v (a pointer
// to a struct, nested structs included) whose validate tag has a uuid check,
// so every event's ids are normalised at decode in this one place.
func normalizeUUIDs(v any) {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return
	}
	normalizeValue(rv.Elem(), 0)
}

// maxUUIDDepth bounds the walk of self-referencing input types.
const maxUUIDDepth = 8

func normalizeValue(v reflect.Value, depth int) {
	for v.Kind() == reflect.Pointer {
		if v.IsNil() {
			return
		}
		v = v.Elem()
	}
	if v.Kind() != reflect.Struct || depth > maxUUIDDepth {
		return
	}
	for _, f := range fieldsOf(v.Type()) {
		fv := v.Field(f.index)
		if f.nested {
			if fv.Kind() == reflect.Slice {
				for i := 0; i < fv.Len(); i++ {
					normalizeValue(fv.Index(i), depth+1)
				}
			} else {
				normalizeValue(fv, depth+1)
			}
			continue
		}
		lowerStrings(fv)
	}
}

// lowerStrings lower-cases a string, *string or []string value.
func lowerStrings(v reflect.Value) {
	switch v.Kind() {
	case reflect.String:
		if v.CanSet() {
			v.SetString(strings.ToLower(v.String()))
		}
	case reflect.Pointer:
		if !v.IsNil() {
			lowerStrings(v.Elem())
		}
	case reflect.Slice:
		for i := 0; i < v.Len(); i++ {
			lowerStrings(v.Index(i))
		}
	}
}

func fieldsOf(t reflect.Type) []uuidField {
	if f, ok := uuidFields.Load(t); ok {
		return f.([]uuidField)
	}
	var out []uuidField
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			continue
		}
		switch elem := baseType(sf.Type); {
		case elem.Kind() == reflect.String && hasUUIDCheck(sf.Tag.Get("validate")):
			out = append(out, uuidField{index: i})
		case elem.Kind() == reflect.Struct:
			out = append(out, uuidField{index: i, nested: true})
		}
	}
	uuidFields.Store(t, out)
	return out
}

// baseType strips pointers and one slice: *T, []T, []*T -> T.
func baseType(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// hasUUIDCheck reports whether a validate tag holds a uuid check (uuid,
// uuid4, uuid_rfc4122, …), for the field itself or, after dive, its elements.
func hasUUIDCheck(tag string) bool {
	for _, part := range strings.FieldsFunc(tag, func(r rune) bool { return r == ',' || r == '|' }) {
		if strings.HasPrefix(part, "uuid") {
			return true
		}
	}
	return false
}
