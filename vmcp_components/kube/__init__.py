"""Cluster I/O with lightkube: kubeconfigs, discovery of a group's objects, snapshots.

May import the core and lightkube; never Pulumi.
"""
