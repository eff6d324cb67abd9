"""A camera simulator: GStreamer's rtsp-server serving an MJPEG AVI file, or an H.264 or H.265 MP4 (the
codecs real cameras send) with ``--codec h264|h265``, as a live RTSP camera — for the demo, the benchmarks and the
ingest tests.

    /usr/bin/python3 scripts/rtsp_camera.py --port 8554 --file clip.avi      # rtsp://127.0.0.1:8554/cam
    /usr/bin/python3 scripts/rtsp_camera.py --port 8554 --file clip.mp4 --codec h264

``--shared``: every client sees the same live picture (a camera), instead of the file from its start.

Runs with Debian's system Python (python3-gi, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-good,
installed by scripts/setup.sh). Each client gets the file from its start, played in real time.
"""

import argparse
import signal

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def loop_at_end(factory, media) -> None:
    """At the file's end, start it again (a camera never stops): the end-of-stream event is dropped
    before the payloader and the pipeline seeks back to the start."""
    bin_ = media.get_element()
    pay = bin_.get_by_name("pay0")

    def rewind():
        pipeline = bin_.get_parent()
        if pipeline is not None:
            pipeline.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH | Gst.SeekFlags.KEY_UNIT, 0)
        return False

    def probe(pad, info):
        if info.get_event().type == Gst.EventType.EOS:
            GLib.idle_add(rewind)
            return Gst.PadProbeReturn.DROP
        return Gst.PadProbeReturn.OK

    pay.get_static_pad("sink").add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, probe)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--file", required=True)
    parser.add_argument("--codec", choices=["mjpeg", "h264", "h265"], default="mjpeg")
    parser.add_argument(
        "--shared",
        action="store_true",
        help="one live picture for every client, as a camera: a second connection (a recorder) "
        "sees the same moment, not the file from its start",
    )
    parser.add_argument("--loop", action="store_true", help="start the file again at its end (a camera never stops)")
    args = parser.parse_args()
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    if args.codec == "h265":
        factory.set_launch(
            f'( filesrc location="{args.file}" ! qtdemux ! h265parse ! rtph265pay name=pay0 pt=96 config-interval=1 )'
        )
    elif args.codec == "h264":
        factory.set_launch(
            f'( filesrc location="{args.file}" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )'
        )
    else:
        factory.set_launch(f'( filesrc location="{args.file}" ! avidemux ! jpegparse ! rtpjpegpay name=pay0 pt=26 )')
    factory.set_shared(args.shared)
    if args.loop:
        factory.connect("media-configure", loop_at_end)
    server.get_mount_points().add_factory("/cam", factory)
    server.attach(None)
    loop = GLib.MainLoop()
    signal.signal(signal.SIGTERM, lambda *_: loop.quit())
    print("ready", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
