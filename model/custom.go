package model

import (
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"time"

	"github.com/uptrace/bun"
	"github.com/uptrace/bun/schema"
)

// Custom holds the app's replacements of rtchat's models (rtchat.WithModel):
// per model name, the app's struct, which embeds rtchat's model by value
// with `bun:",extend"` (so it is the same table) and adds columns. The
// store then inserts and reads the app's type, and every row it hands out
// carries the app's value in its Custom field. A nil *Custom replaces
// nothing.
type Custom struct {
	models map[string]*CustomModel
}

// CustomModel is one replaced model.
type CustomModel struct {
	// Name is the model's name: "Message", "Member", ...
	Name string
	// Type is the app's struct type.
	Type reflect.Type
	// Extra are the app's columns: its bun fields that rtchat's model
	// lacks, in the order of the struct.
	Extra []*CustomField

	template reflect.Value // the app's template, a struct value
	base     []int         // index of the embedded rtchat model
	baseType reflect.Type
	byJSON   map[string]*CustomField
}

// CustomField is one column the app added to a model.
type CustomField struct {
	// Column is the column's name.
	Column string
	// JSON is the field's name on the wire: its json tag, else Column.
	JSON string
	// Validate is the field's `validate` tag (go-playground/validator).
	Validate string
	// Type is the field's Go type.
	Type reflect.Type

	index   []int
	sqlType string // the type the send path casts its parameter to on Postgres
}

// customBases are the models an app may replace, by name.
var customBases = map[string]reflect.Type{
	"Message":      reflect.TypeFor[Message](),
	"Attachment":   reflect.TypeFor[Attachment](),
	"Reaction":     reflect.TypeFor[Reaction](),
	"ReadReceipt":  reflect.TypeFor[ReadReceipt](),
	"Notification": reflect.TypeFor[Notification](),
	"Session":      reflect.TypeFor[Session](),
	"Member":       reflect.TypeFor[Member](),
}

// CustomModelNames reports whether name is a model an app may replace.
func CustomModelNames(name string) bool { _, ok := customBases[name]; return ok }

// registered maps each app type known to a Custom to its model, so that a
// serializer holding only a row's Custom value can read its fields.
var registered sync.Map // reflect.Type -> *CustomModel

// NewCustom returns a Custom replacing nothing yet; see Add.
func NewCustom() *Custom { return &Custom{models: map[string]*CustomModel{}} }

// Add checks the app's replacement of the model name against db's schema
// and adds it: template is a pointer to the app's struct, which embeds
// rtchat's model by value with `bun:",extend"`; its fields are the defaults
// of new rows.
func (c *Custom) Add(db *bun.DB, name string, template any) error {
	cm, err := newCustomModel(db, name, template)
	if err != nil {
		return err
	}
	c.models[name] = cm
	registered.Store(cm.Type, cm)
	return nil
}

func newCustomModel(db *bun.DB, name string, tmpl any) (*CustomModel, error) {
	baseType, ok := customBases[name]
	if !ok {
		return nil, errors.New("not a model that can be replaced (Message, Attachment, Reaction, ReadReceipt, Notification, Session, Member)")
	}
	if tmpl == nil {
		return nil, errors.New("template is nil")
	}
	v := reflect.ValueOf(tmpl)
	if v.Kind() != reflect.Pointer || v.Type().Elem().Kind() != reflect.Struct {
		return nil, fmt.Errorf("template is %T, want a pointer to a struct embedding model.%s", tmpl, name)
	}
	if v.IsNil() {
		return nil, errors.New("template is a nil pointer")
	}
	typ := v.Type().Elem()
	var base []int
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Anonymous && f.Type == baseType {
			base = f.Index
		}
	}
	if base == nil {
		return nil, fmt.Errorf("%s does not embed model.%s (by value, with `bun:\",extend\"`)", typ, name)
	}
	table := db.Table(typ)
	baseTable := db.Table(baseType)
	if table.Name != baseTable.Name {
		return nil, fmt.Errorf("%s is table %q, want %q: embed model.%s with `bun:\",extend\"`", typ, table.Name, baseTable.Name, name)
	}
	cm := &CustomModel{Name: name, Type: typ, template: v.Elem(), base: base, baseType: baseType, byJSON: map[string]*CustomField{}}
	have := map[string]bool{}
	for _, f := range baseTable.Fields {
		have[f.Name] = true
	}
	for _, f := range table.Fields {
		if have[f.Name] {
			continue
		}
		cf := &CustomField{Column: f.Name, JSON: jsonName(f), Validate: f.StructField.Tag.Get("validate"),
			Type: f.StructField.Type, index: f.Index, sqlType: castType(f)}
		if prev, dup := cm.byJSON[cf.JSON]; dup {
			return nil, fmt.Errorf("fields %q and %q have the same JSON name %q", prev.Column, cf.Column, cf.JSON)
		}
		cm.Extra = append(cm.Extra, cf)
		cm.byJSON[cf.JSON] = cf
	}
	return cm, nil
}

// jsonName is a field's wire name: its json tag, else its column.
func jsonName(f *schema.Field) string {
	if name, _, _ := strings.Cut(f.StructField.Tag.Get("json"), ","); name != "" && name != "-" {
		return name
	}
	return f.Name
}

// castType is the SQL type a parameter for f is cast to: the field's own
// type without a length, so that a value too long for the column fails
// rather than being cut as an explicit cast to varchar(n) would.
func castType(f *schema.Field) string {
	t := f.UserSQLType
	if t == "" {
		t = f.DiscoveredSQLType
	}
	t, _, _ = strings.Cut(t, "(")
	return t
}

// Model returns the replacement of the model name, or nil when the app
// kept rtchat's.
func (c *Custom) Model(name string) *CustomModel {
	if c == nil {
		return nil
	}
	return c.models[name]
}

// Field returns the app's field whose JSON name is name, or nil.
func (m *CustomModel) Field(name string) *CustomField { return m.byJSON[name] }

// New returns a new app value for base (a pointer to rtchat's model): a copy
// of the template with base as its embedded model. Fields of the template
// that hold references (maps, slices, pointers) are shared with it.
func (m *CustomModel) New(base any) any {
	v := reflect.New(m.Type)
	v.Elem().Set(m.template)
	m.SetBase(v.Interface(), base)
	return v.Interface()
}

// Clone returns a copy of an app value (as New, references shared).
func (m *CustomModel) Clone(app any) any {
	v := reflect.New(m.Type)
	v.Elem().Set(reflect.ValueOf(app).Elem())
	return v.Interface()
}

// SetBase sets the embedded rtchat model of app (a pointer to the app's
// struct) to a copy of base (a pointer to rtchat's model), whose Custom is
// left nil there.
func (m *CustomModel) SetBase(app, base any) {
	b := reflect.ValueOf(app).Elem().FieldByIndex(m.base)
	b.Set(reflect.ValueOf(base).Elem())
	b.FieldByName("Custom").SetZero()
}

// Value returns the value of field f in app (a pointer to the app's struct).
func (f *CustomField) Value(app any) reflect.Value {
	return reflect.ValueOf(app).Elem().FieldByIndex(f.index)
}

// CustomValue returns the field whose JSON name is name of a row's Custom
// value (a pointer to a registered app struct); ok is false when custom is
// nil or has no such field.
func CustomValue(custom any, name string) (v any, ok bool) {
	if custom == nil {
		return nil, false
	}
	cm, found := registered.Load(reflect.TypeOf(custom).Elem())
	if !found {
		return nil, false
	}
	f := cm.(*CustomModel).Field(name)
	if f == nil {
		return nil, false
	}
	return f.Value(custom).Interface(), true
}

// appFor returns the app value of base (a pointer to rtchat's model): its
// Custom when the caller set one of the app's type, else a copy of the
// template. Either way it gets base as its embedded model and becomes
// base's Custom.
func (m *CustomModel) appFor(base reflect.Value) any {
	cf := base.Elem().FieldByName("Custom")
	if c := cf.Interface(); c != nil && reflect.TypeOf(c) == reflect.PointerTo(m.Type) {
		m.SetBase(c, base.Interface())
		return c
	}
	app := m.New(base.Interface())
	cf.Set(reflect.ValueOf(app))
	return app
}

// sqlArg returns the value of an app field as a database/sql parameter, the
// way bun writes it: a driver.Valuer as itself, a map, slice or struct as
// JSON text, a nil pointer as NULL.
func sqlArg(v reflect.Value) (any, error) {
	if v.CanInterface() {
		if val, ok := v.Interface().(driver.Valuer); ok {
			if v.Kind() == reflect.Pointer && v.IsNil() {
				return nil, nil
			}
			return val.Value()
		}
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil, nil
		}
		return sqlArg(v.Elem())
	case reflect.Map, reflect.Slice:
		if v.IsNil() {
			return nil, nil
		}
		if v.Kind() == reflect.Slice && v.Type().Elem().Kind() == reflect.Uint8 {
			return v.Bytes(), nil
		}
	case reflect.Struct:
		if t, ok := v.Interface().(time.Time); ok {
			return t, nil
		}
	case reflect.Array:
	default:
		return v.Interface(), nil
	}
	b, err := json.Marshal(v.Interface())
	if err != nil {
		return nil, err
	}
	return string(b), nil
}
