"""`vmcp-components watch`: keep a stack in step with its cluster, a small controller.

Pure modules (the cache, the decision, the schedule) import only the core; the streams and the
probes use lightkube and the standard library; only the engine runner loads Pulumi's automation
API, and only when a run starts.
"""
