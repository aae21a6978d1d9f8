package main

import (
	"context"
	"flag"
	"fmt"
	"os"

	"github.com/edgexfoundry/go-mod-core-contracts/v4/common"
	"github.com/edgexfoundry/go-mod-core-contracts/v4/dtos"
	"github.com/edgexfoundry/go-mod-core-contracts/v4/dtos/requests"
	"github.com/edgexfoundry/go-mod-messaging/v4/pkg/types"
	"github.com/google/uuid"
)

// publishEvent mirrors device-sdk-go v4 internal/common/utils.go SendEvent: NewAddEventRequest,
// content type from GetEncodingContentType (CBOR when a reading is Binary), NewMessageEnvelope
// (which applies EDGEX_MSG_BASE64_PAYLOAD / EDGEX_MSG_CBOR_ENCODE), topic built by PathBuilder.
func publishEvent(args []string) error {
	fs := flag.NewFlagSet("publish-event", flag.ExitOnError)
	var bus busFlags
	bus.register(fs)
	service := fs.String("service", "device-virtual", "device service name (topic level)")
	profile := fs.String("profile", "", "profile name")
	device := fs.String("device", "", "device name")
	source := fs.String("source", "", "source (command or resource) name")
	resource := fs.String("resource", "", "reading's resource name (default: the source name)")
	boolValue := fs.String("bool", "", "publish one Bool reading with this value (true|false)")
	image := fs.String("image", "", "publish one Binary image/jpeg reading with this file's bytes")
	escape := fs.Bool("escape", false, "Service.EnableNameFieldEscape")
	_ = fs.Parse(args)
	if *profile == "" || *device == "" || *source == "" || (*boolValue == "") == (*image == "") {
		return fmt.Errorf("need -profile, -device, -source and exactly one of -bool, -image")
	}
	if *resource == "" {
		*resource = *source
	}
	event := dtos.NewEvent(*profile, *device, *source)
	if *image != "" {
		data, err := os.ReadFile(*image)
		if err != nil {
			return err
		}
		event.AddBinaryReading(*resource, data, "image/jpeg")
	} else if err := event.AddSimpleReading(*resource, common.ValueTypeBool, *boolValue == "true"); err != nil {
		return err
	}
	req := requests.NewAddEventRequest(event)
	encoding := req.GetEncodingContentType()
	ctx := context.WithValue(context.Background(), common.CorrelationHeader, uuid.NewString()) // nolint: staticcheck
	ctx = context.WithValue(ctx, common.ContentType, encoding)                                 // nolint: staticcheck
	envelope := types.NewMessageEnvelope(req, ctx)
	topic := common.NewPathBuilder().EnableNameFieldEscape(*escape).
		SetPath("edgex").SetPath(common.EventsPublishTopic).SetPath("device").
		SetNameFieldPath(*service).SetNameFieldPath(event.ProfileName).
		SetNameFieldPath(event.DeviceName).SetNameFieldPath(event.SourceName).BuildPath()
	client, err := bus.connect()
	if err != nil {
		return err
	}
	defer func() { _ = client.Disconnect() }()
	if err := client.PublishWithSizeLimit(envelope, topic, 0); err != nil {
		return err
	}
	emit(map[string]any{
		"topic":         topic,
		"contentType":   envelope.ContentType,
		"correlationID": envelope.CorrelationID,
		"request":       req,
	})
	return nil
}
