"""Video streams a camera is read from: RTSP, HTTP MJPEG or a local file, decoded with PyAV.

One `StreamReader` thread per stream hands frames on at the camera's detect rate, reports its
health (connecting, online, stalled, offline) and passes every encoded packet to an optional
`PacketSink` (the clip recorder). Nothing here knows of EdgeX or the pipeline.
"""
