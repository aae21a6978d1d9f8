package main

import (
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/edgexfoundry/go-mod-core-contracts/v4/common"
	"github.com/edgexfoundry/go-mod-core-contracts/v4/dtos"
	"github.com/edgexfoundry/go-mod-core-contracts/v4/dtos/responses"
	"github.com/edgexfoundry/go-mod-messaging/v4/messaging/envelope"
	"github.com/edgexfoundry/go-mod-messaging/v4/pkg/types"
)

// A stand-in for core-command's bus side (edgex-go cannot be fetched here), assembled from EdgeX's
// real envelope and DTO code. Replies as device-sdk-go v4's command handler does (core-command
// forwards that reply unchanged): get -> EventResponse via NewMessageEnvelopeForResponse with the
// response's GetEncodingContentType; set -> payload decoded with GetMsgPayload[map[string]any],
// null reply payload; failures -> NewMessageEnvelopeWithError. Device lookup, the query-parameter
// check and the error texts re-implement core-command's few lines.
type responder struct {
	devices      map[string]bool
	profile      string
	imageCommand string
	image        []byte
}

func commandResponder(args []string) error {
	fs := flag.NewFlagSet("command-responder", flag.ExitOnError)
	var bus busFlags
	bus.register(fs)
	devices := fs.String("devices", "", "comma-separated names of the devices that exist")
	profile := fs.String("profile", "Interop-Profile", "profile name of the events returned by get")
	imageCommand := fs.String("image-command", "", "get of this command returns a Binary image/jpeg reading")
	image := fs.String("image", "", "the JPEG file for -image-command")
	count := fs.Int("count", 1, "stop after this many requests")
	timeout := fs.Duration("timeout", 10*time.Second, "stop after this long")
	_ = fs.Parse(args)
	r := responder{devices: map[string]bool{}, profile: *profile, imageCommand: *imageCommand}
	for _, name := range strings.Split(*devices, ",") {
		if name != "" {
			r.devices[name] = true
		}
	}
	if *image != "" {
		data, err := os.ReadFile(*image)
		if err != nil {
			return err
		}
		r.image = data
	}
	client, err := bus.connect()
	if err != nil {
		return err
	}
	defer func() { _ = client.Disconnect() }()
	topic := common.BuildTopic("edgex", common.CoreCommandRequestSubscribeTopic)
	messages := make(chan types.MessageEnvelope, 16)
	errs := make(chan error, 16)
	if err := client.Subscribe([]types.TopicChannel{{Topic: topic, Messages: messages}}, errs); err != nil {
		return err
	}
	emit(map[string]any{"ready": true, "topic": topic})
	deadline := time.After(*timeout)
	for handled := 0; handled < *count; handled++ {
		select {
		case env := <-messages:
			record := r.answer(env)
			if reply, ok := record["replyEnvelope"].(types.MessageEnvelope); ok {
				delete(record, "replyEnvelope")
				replyTopic := common.BuildTopic("edgex", common.ResponseTopic, common.CoreCommandServiceKey, env.RequestID)
				forwarded, err := forwardLikeCoreCommand(reply)
				if err == nil {
					err = client.Publish(forwarded, replyTopic)
				}
				if err != nil {
					record["publishError"] = err.Error()
				}
			}
			emit(record)
		case err := <-errs:
			emit(map[string]any{"stage": "envelope", "error": err.Error()})
		case <-deadline:
			emit(map[string]any{"done": true, "handled": handled, "timedOut": true})
			return nil
		}
	}
	emit(map[string]any{"done": true, "handled": *count, "timedOut": false})
	return nil
}

// answer records what was asked and builds the reply envelope (none for an empty requestID,
// like core-command).
func (r responder) answer(env types.MessageEnvelope) map[string]any {
	record := map[string]any{
		"topic": env.ReceivedTopic, "apiVersion": env.ApiVersion, "requestID": env.RequestID,
		"correlationID": env.CorrelationID, "contentType": env.ContentType,
		"errorCode": env.ErrorCode, "queryParams": env.QueryParams, "rawPayload": jsonSafe(env.Payload),
	}
	levels := strings.Split(env.ReceivedTopic, "/")
	n := len(levels)
	if n < 3 || env.RequestID == "" {
		record["reply"] = "none"
		return record
	}
	device, err := url.PathUnescape(levels[n-3])
	if err != nil {
		return r.withError(record, env, err.Error())
	}
	command, err := url.PathUnescape(levels[n-2])
	if err != nil {
		return r.withError(record, env, err.Error())
	}
	method := strings.ToLower(levels[n-1])
	record["device"], record["command"], record["method"] = device, command, method
	if !r.devices[device] {
		return r.withError(record, env, fmt.Sprintf("invalid request topic: failed to get Device by name %s: "+
			"request failed, status code: 404, err: no device with name '%s' found", device, device))
	}
	switch method {
	case "get":
		return r.get(record, env, device, command)
	case "set":
		return r.set(record, env)
	}
	record["reply"] = "none" // core-command logs and drops an unknown method
	return record
}

func (r responder) get(record map[string]any, env types.MessageEnvelope, device, command string) map[string]any {
	for _, key := range []string{common.ReturnEvent, common.PushEvent} { // core-command's query-parameter check
		if v, ok := env.QueryParams[key]; ok && v != common.ValueTrue && v != common.ValueFalse {
			return r.withError(record, env, fmt.Sprintf("invalid query parameter, %s has to be '%s' or '%s'",
				key, common.ValueTrue, common.ValueFalse))
		}
	}
	var payload any
	encoding := common.ContentTypeJSON
	if env.QueryParams[common.ReturnEvent] != common.ValueFalse {
		event := dtos.NewEvent(r.profile, device, command)
		if command == r.imageCommand && r.image != nil {
			event.AddBinaryReading(command, r.image, "image/jpeg")
		} else if err := event.AddSimpleReading(command, common.ValueTypeBool, true); err != nil {
			return r.withError(record, env, err.Error())
		}
		resp := responses.NewEventResponse(env.RequestID, "", http.StatusOK, event)
		encoding = resp.GetEncodingContentType()
		payload = resp
		record["event"] = event
	}
	return r.withReply(record, env, payload, encoding)
}

func (r responder) set(record map[string]any, env types.MessageEnvelope) map[string]any {
	settings, err := types.GetMsgPayload[map[string]any](env)
	if err != nil {
		return r.withError(record, env, err.Error())
	}
	record["settings"] = jsonSafe(settings)
	return r.withReply(record, env, nil, common.ContentTypeJSON)
}

func (r responder) withReply(record map[string]any, env types.MessageEnvelope, payload any, encoding string) map[string]any {
	reply, err := types.NewMessageEnvelopeForResponse(payload, env.RequestID, env.CorrelationID, encoding)
	if err != nil {
		return r.withError(record, env, err.Error())
	}
	record["reply"], record["replyContentType"], record["replyEnvelope"] = "ok", reply.ContentType, reply
	return record
}

// forwardLikeCoreCommand reproduces the hop through core-command: it receives the device service's
// reply with go-mod-messaging (decoded into a MessageEnvelope, the payload into `any`, receivedTopic
// set) and publishes that same struct again. In nested JSON this is where a nanosecond origin is
// rounded through float64, as the captured replies show.
func forwardLikeCoreCommand(reply types.MessageEnvelope) (types.MessageEnvelope, error) {
	data, err := envelope.Marshal(reply)
	if err != nil {
		return reply, err
	}
	var forwarded types.MessageEnvelope
	if err := envelope.Unmarshal(data, &forwarded); err != nil {
		return reply, err
	}
	forwarded.ReceivedTopic = common.BuildTopic("edgex", common.ResponseTopic, "device-interop", reply.RequestID)
	return forwarded, nil
}

func (r responder) withError(record map[string]any, env types.MessageEnvelope, text string) map[string]any {
	record["reply"], record["replyError"] = "error", text
	record["replyEnvelope"] = types.NewMessageEnvelopeWithError(env.RequestID, text)
	return record
}
