// Command afstwin is app-vision's twin: a minimal EdgeX application service built on EdgeX's own
// app-functions-sdk-go v4.0.2 (go-mod-bootstrap v4.0.5, go-mod-messaging v4.0.3,
// go-mod-core-contracts v4.0.3), configured like app-vision (res/configuration.yaml beside this
// file: MessageBus mqtt, BaseTopicPrefix edgex, Trigger.SubscribeTopics events/#). The interop
// tier (tests/interop/test_twin_*.py) sends the same inputs to it and to app-vision and compares
// what each answers, drops, logs and publishes.
//
// Everything but the pipeline is the SDK's: the REST routes (/api/v3/ping, /version, /config,
// /secret and, with Trigger.Type http, /trigger), the bus trigger, envelope and event decoding,
// the metrics (MessagesReceived, InvalidMessagesReceived, ...) and their telemetry reports.
//
// The default pipeline is one function, record: for every event the SDK hands it, it
//   - logs one INFO line through the SDK's logging client with the event, the received topic and
//     the correlation id,
//   - prints one line "TWIN-RECORD {json}" on stdout (what the pipeline received, for the tests),
//   - sets the same JSON as the pipeline's response data: the HTTP trigger answers it, the bus
//     trigger publishes it on Trigger.PublishTopic (edgex/twin/records).
//
// Run without registry or configuration provider (no -r, no -cp), file configuration only, with
// EDGEX_SECURITY_SECRET_STORE=false and -s (no core-metadata version check):
//
//	EDGEX_SECURITY_SECRET_STORE=false afstwin -s -cd res
package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"

	"github.com/edgexfoundry/app-functions-sdk-go/v4/pkg"
	"github.com/edgexfoundry/app-functions-sdk-go/v4/pkg/interfaces"
	"github.com/edgexfoundry/go-mod-core-contracts/v4/common"
	"github.com/edgexfoundry/go-mod-core-contracts/v4/dtos"
)

const serviceKey = "app-vision-twin"

// readingRecord is what the pipeline saw of one reading (binary values by size and SHA-256).
type readingRecord struct {
	ResourceName string `json:"resourceName"`
	ValueType    string `json:"valueType"`
	Value        string `json:"value,omitempty"`
	MediaType    string `json:"mediaType,omitempty"`
	BinarySize   int    `json:"binarySize,omitempty"`
	BinarySHA256 string `json:"binarySha256,omitempty"`
	Origin       int64  `json:"origin"`
}

// record is what the pipeline received with one message.
type record struct {
	CorrelationID    string          `json:"correlationId"`
	ReceivedTopic    string          `json:"receivedTopic"`
	InputContentType string          `json:"inputContentType"`
	PipelineID       string          `json:"pipelineId"`
	EventID          string          `json:"eventId"`
	DeviceName       string          `json:"deviceName"`
	ProfileName      string          `json:"profileName"`
	SourceName       string          `json:"sourceName"`
	Origin           int64           `json:"origin"`
	Readings         []readingRecord `json:"readings"`
}

func value(ctx interfaces.AppFunctionContext, key string) string {
	found, _ := ctx.GetValue(key)
	return found
}

// recordEvent is the twin's whole pipeline.
func recordEvent(ctx interfaces.AppFunctionContext, data any) (bool, any) {
	event, ok := data.(dtos.Event)
	if !ok {
		return false, fmt.Errorf("twin: expected a dtos.Event, got %T", data)
	}
	rec := record{
		CorrelationID:    ctx.CorrelationID(),
		ReceivedTopic:    value(ctx, interfaces.RECEIVEDTOPIC),
		InputContentType: ctx.InputContentType(),
		PipelineID:       value(ctx, interfaces.PIPELINEID),
		EventID:          event.Id,
		DeviceName:       event.DeviceName,
		ProfileName:      event.ProfileName,
		SourceName:       event.SourceName,
		Origin:           event.Origin,
		Readings:         make([]readingRecord, 0, len(event.Readings)),
	}
	for _, reading := range event.Readings {
		item := readingRecord{
			ResourceName: reading.ResourceName,
			ValueType:    reading.ValueType,
			Value:        reading.Value,
			MediaType:    reading.MediaType,
			Origin:       reading.Origin,
		}
		if reading.ValueType == common.ValueTypeBinary {
			sum := sha256.Sum256(reading.BinaryValue)
			item.BinarySize, item.BinarySHA256 = len(reading.BinaryValue), hex.EncodeToString(sum[:])
		}
		rec.Readings = append(rec.Readings, item)
	}
	line, err := json.Marshal(rec)
	if err != nil {
		return false, fmt.Errorf("twin: encoding the record: %w", err)
	}
	ctx.LoggingClient().Infof("twin received event %s from %s/%s/%s on topic '%s' (%s=%s)",
		event.Id, event.ProfileName, event.DeviceName, event.SourceName, rec.ReceivedTopic,
		common.CorrelationHeader, rec.CorrelationID)
	fmt.Println("TWIN-RECORD " + string(line))
	ctx.SetResponseContentType(common.ContentTypeJSON)
	ctx.SetResponseData(line)
	return true, nil
}

func main() {
	service, ok := pkg.NewAppService(serviceKey)
	if !ok {
		os.Exit(1)
	}
	lc := service.LoggingClient()
	if err := service.SetDefaultFunctionsPipeline(recordEvent); err != nil {
		lc.Errorf("twin: setting the pipeline failed: %v", err)
		os.Exit(1)
	}
	if err := service.Run(); err != nil {
		lc.Errorf("twin: Run returned: %v", err)
		os.Exit(1)
	}
	os.Exit(0)
}
