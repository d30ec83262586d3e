package rtchat

import (
	"errors"
	"fmt"
	"reflect"
	"slices"

	"github.com/rtchat/rtchat/model"
	"github.com/rtchat/rtchat/serializer"
	"github.com/uptrace/bun"
)

// customModels checks WithModel, and the fields a MessageWithFields
// serializer accepts, against db's schema, and returns the app's models
// (nil when it replaced none).
func (c *config) customModels(db *bun.DB) (*model.Custom, error) {
	var errs []error
	var custom *model.Custom
	names := make([]string, 0, len(c.models))
	for name := range c.models {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if custom == nil {
			custom = model.NewCustom()
		}
		if err := custom.Add(db, name, c.models[name]); err != nil {
			errs = append(errs, fmt.Errorf("rtchat: WithModel(%q): %w", name, err))
		}
	}
	if ef, ok := c.serializers[serializer.NameMessage].(serializer.ExtraFielder); ok {
		cm := custom.Model("Message")
		for _, name := range ef.ExtraFields() {
			var f *model.CustomField
			if cm != nil {
				f = cm.Field(name)
			}
			if f == nil {
				errs = append(errs, fmt.Errorf("rtchat: WithSerializer(%q): MessageWithFields accepts %q, which the Message model (WithModel(\"Message\")) lacks", serializer.NameMessage, name))
				continue
			}
			if err := serializer.CheckTag(reflect.Zero(f.Type).Interface(), f.Validate); err != nil {
				errs = append(errs, fmt.Errorf("rtchat: WithModel(\"Message\"): field %s: %w", name, err))
			}
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return custom, nil
}
