package main

import (
	"flag"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/edgexfoundry/go-mod-core-contracts/v4/common"
	"github.com/edgexfoundry/go-mod-core-contracts/v4/dtos"
	"github.com/edgexfoundry/go-mod-core-contracts/v4/dtos/requests"
	"github.com/edgexfoundry/go-mod-messaging/v4/pkg/types"
)

// consumeEvents subscribes like core-data (edgex/events/device/#) or like a metrics consumer
// (edgex/telemetry/#), decodes every message with EdgeX's own code and prints one verdict line each.
func consumeEvents(args []string) error {
	fs := flag.NewFlagSet("consume-events", flag.ExitOnError)
	var bus busFlags
	bus.register(fs)
	kind := fs.String("kind", "event", "event (AddEventRequest, core-data's checks) or metric (dtos.Metric)")
	topic := fs.String("topic", "", "subscription (default edgex/events/device/# or edgex/telemetry/#)")
	count := fs.Int("count", 1, "stop after this many messages (decode errors included)")
	timeout := fs.Duration("timeout", 10*time.Second, "stop after this long")
	_ = fs.Parse(args)
	check := checkEvent
	if *kind == "metric" {
		check = checkMetric
	}
	if *topic == "" {
		*topic = map[string]string{"event": "edgex/events/device/#", "metric": "edgex/telemetry/#"}[*kind]
	}
	client, err := bus.connect()
	if err != nil {
		return err
	}
	defer func() { _ = client.Disconnect() }()
	messages := make(chan types.MessageEnvelope, 64)
	errs := make(chan error, 64)
	if err := client.Subscribe([]types.TopicChannel{{Topic: *topic, Messages: messages}}, errs); err != nil {
		return err
	}
	emit(map[string]any{"ready": true, "topic": *topic})
	deadline := time.After(*timeout)
	for received := 0; received < *count; received++ {
		select {
		case env := <-messages:
			emit(check(env))
		case err := <-errs: // go-mod-messaging could not decode the envelope itself
			emit(map[string]any{"ok": false, "stage": "envelope", "error": err.Error()})
		case <-deadline:
			emit(map[string]any{"done": true, "received": received, "timedOut": true})
			return nil
		}
	}
	emit(map[string]any{"done": true, "received": *count, "timedOut": false})
	return nil
}

// checkEvent is core-data's v4 subscriber path: types.GetMsgPayload[requests.AddEventRequest]
// (whose Unmarshal runs AddEventRequest.Validate), then the topic rule of ValidateEvent.
func checkEvent(env types.MessageEnvelope) map[string]any {
	out := map[string]any{"topic": env.ReceivedTopic, "contentType": env.ContentType, "ok": false}
	req, err := types.GetMsgPayload[requests.AddEventRequest](env)
	if err != nil {
		out["stage"], out["error"] = "decode", err.Error()
		return out
	}
	out["requestId"], out["apiVersion"], out["event"] = req.RequestId, req.ApiVersion, req.Event
	if err := req.Validate(); err != nil { // already run by Unmarshal; explicit for clarity
		out["stage"], out["error"] = "validate", err.Error()
		return out
	}
	if err := validateEventTopic(env.ReceivedTopic, req.Event); err != nil {
		out["stage"], out["error"] = "topic", err.Error()
		return out
	}
	out["ok"] = true
	return out
}

// validateEventTopic re-implements edgex-go v4 internal/pkg/utils/event.go ValidateEvent (edgex-go
// cannot be fetched here): at least 6 levels; the last three, url.PathUnescape'd, must equal the
// event's profileName, deviceName and sourceName.
func validateEventTopic(topic string, e dtos.Event) error {
	fields := strings.Split(topic, "/")
	n := len(fields)
	if n < 6 {
		return fmt.Errorf("invalid message topic %s", topic)
	}
	names := [3]string{}
	for i, level := range fields[n-3:] {
		name, err := url.PathUnescape(level)
		if err != nil {
			return err
		}
		names[i] = name
	}
	if e.ProfileName != names[0] {
		return fmt.Errorf("event's profileName %s mismatches with the name %s received in topic", e.ProfileName, names[0])
	}
	if e.DeviceName != names[1] {
		return fmt.Errorf("event's deviceName %s mismatches with the name %s received in topic", e.DeviceName, names[1])
	}
	if e.SourceName != names[2] {
		return fmt.Errorf("event's sourceName %s mismatches with the name %s received in topic", e.SourceName, names[2])
	}
	return nil
}

// checkMetric decodes a telemetry message into dtos.Metric (as go-mod-bootstrap's reporter writes
// it and app-service-configurable's metrics pipelines read it), validates it with EdgeX's validator
// and renders it as InfluxDB line protocol with the DTO's own ToLineProtocol.
func checkMetric(env types.MessageEnvelope) map[string]any {
	out := map[string]any{"topic": env.ReceivedTopic, "contentType": env.ContentType, "ok": false}
	metric, err := types.GetMsgPayload[dtos.Metric](env)
	if err != nil {
		out["stage"], out["error"] = "decode", err.Error()
		return out
	}
	out["metric"] = metric
	if err := common.Validate(metric); err != nil {
		out["stage"], out["error"] = "validate", err.Error()
		return out
	}
	if last := env.ReceivedTopic[strings.LastIndex(env.ReceivedTopic, "/")+1:]; last != metric.Name {
		out["stage"], out["error"] = "topic", fmt.Sprintf("metric name %s is not the topic's last level %s", metric.Name, last)
		return out
	}
	out["lineProtocol"] = metric.ToLineProtocol()
	out["ok"] = true
	return out
}
