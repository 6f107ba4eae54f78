#!/usr/bin/python3
"""Scrape vfio-bpfd's metrics, parse them as Prometheus text, compare with sysfs.

usage: metrics-check.py URL BDF...
Prints one line per device ("BDF: N series, ..."); fails with the first
series whose value is not what the device's sysfs counters file says.
"""
import sys
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

url, devices = sys.argv[1], sys.argv[2:]
text = urllib.request.urlopen(url, timeout=10).read().decode()
series = {}
for family in text_string_to_metric_families(text):
    for s in family.samples:
        key = (s.name, s.labels.get("device"), s.labels.get("hook"), s.labels.get("verdict"))
        series[key] = s
for bdf in devices:
    path = f"/sys/bus/pci/devices/{bdf}/vfio_bpf/counters"
    sysfs = dict(line.split(None, 1) for line in open(path))
    mine = [s for key, s in series.items() if key[1] == bdf]
    for hook in ("config_read", "ioctl"):
        for verdict in ("pass", "denied"):
            s = series[("vfio_pci_bpf_hook_verdicts_total", bdf, hook, verdict)]
            assert s.value == int(sysfs[f"hook.{hook}.{verdict}"]), (bdf, hook, verdict, s)
    s = series[("vfio_pci_bpf_ioctls_total", bdf, None, None)]
    assert s.value == int(sysfs["ioctls"]), s
    assert s.labels["policies"] == sysfs["policies"].strip(), s.labels
    reads = series[("vfio_pci_bpf_hook_verdicts_total", bdf, "config_read", "pass")].value
    print(f"{bdf}: {len(mine)} series, policies {s.labels['policies']}, "
          f"config_read pass {int(reads)}")
