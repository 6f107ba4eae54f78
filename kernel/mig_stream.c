// SPDX-License-Identifier: GPL-2.0-only
/*
 * The migration stream's framing (struct vfio_pci_bpf_mig_header): written
 * in front of each of the owner's payloads on the source, checked on the
 * destination as the VMM writes it and once more when RESUMING ends.
 * Nothing of a stream reaches the owner before every check passed.
 */
#include <linux/crc32.h>
#include <linux/string.h>

#include "vpb.h"

void vpb_mig_expect_init(struct vpb_mig_expect *want, struct vpb_device *vdev,
			 const struct vpb_policy *owner)
{
	memset(want, 0, sizeof(*want));
	strscpy_pad(want->policy, owner->ops->name, sizeof(want->policy));
	want->vendor = vdev->info.vendor;
	want->device = vdev->info.device;
	want->max_payload = owner->ops->mig_size;
	want->precopy = owner->ops->flags & VFIO_PCI_BPF_F_MIG_PRE_COPY;
}

/* The crc of a whole record, its crc32c field taken as 0. */
static u32 vpb_mig_crc(const u8 *record, size_t len)
{
	static const __le32 zero;
	size_t at = offsetof(struct vfio_pci_bpf_mig_header, crc32c);
	u32 crc;

	crc = vpb_crc32c(~0, record, at);
	crc = vpb_crc32c(crc, (const u8 *)&zero, sizeof(zero));
	return ~vpb_crc32c(crc, record + at + sizeof(zero), len - at - sizeof(zero));
}

/* Frames @payload_len bytes of payload that follow the header in @record. */
void vpb_mig_frame(const struct vpb_mig_expect *src, u8 *record, u32 payload_len, u32 flags)
{
	struct vfio_pci_bpf_mig_header *hdr = (void *)record;

	memset(hdr, 0, sizeof(*hdr));
	hdr->magic = cpu_to_le32(VFIO_PCI_BPF_MIG_MAGIC);
	hdr->version = cpu_to_le16(VFIO_PCI_BPF_MIG_VERSION);
	hdr->header_len = cpu_to_le16(VPB_MIG_HDR);
	memcpy(hdr->policy, src->policy, sizeof(hdr->policy));
	hdr->vendor = cpu_to_le16(src->vendor);
	hdr->device = cpu_to_le16(src->device);
	hdr->payload_len = cpu_to_le32(payload_len);
	hdr->flags = cpu_to_le32(flags);
	hdr->crc32c = cpu_to_le32(vpb_mig_crc(record, VPB_MIG_HDR + payload_len));
}

/* The length of a record that passed vpb_mig_refusal(). */
size_t vpb_mig_record_len(const u8 *record)
{
	const struct vfio_pci_bpf_mig_header *hdr = (const void *)record;

	return VPB_MIG_HDR + le32_to_cpu(hdr->payload_len);
}

/* Why the header at @record cannot be loaded, or NULL. */
static const char *vpb_mig_header_refusal(const struct vpb_mig_expect *want, const u8 *record,
					  bool first)
{
	const struct vfio_pci_bpf_mig_header *hdr = (const void *)record;
	u32 flags;

	if (le32_to_cpu(hdr->magic) != VFIO_PCI_BPF_MIG_MAGIC)
		return "bad magic";
	if (le16_to_cpu(hdr->version) != VFIO_PCI_BPF_MIG_VERSION ||
	    le16_to_cpu(hdr->header_len) != VPB_MIG_HDR)
		return "unknown format version";
	if (memcmp(hdr->policy, want->policy, sizeof(want->policy)))
		return "saved by another policy";
	if (le16_to_cpu(hdr->vendor) != want->vendor || le16_to_cpu(hdr->device) != want->device)
		return "saved from another kind of device";
	flags = le32_to_cpu(hdr->flags);
	if (flags & ~VFIO_PCI_BPF_MIG_PRECOPY)
		return "unknown record flags";
	if ((flags & VFIO_PCI_BPF_MIG_PRECOPY) && !want->precopy)
		return "a pre-copy record, but this policy does not pre-copy";
	if ((flags & VFIO_PCI_BPF_MIG_PRECOPY) && !first)
		return "a second pre-copy record";
	if (le32_to_cpu(hdr->payload_len) > want->max_payload)
		return "payload larger than this policy's mig_size";
	return NULL;
}

/*
 * Check what was added to a stream since the last call: @len bytes at
 * @stream so far, @chk where the check stands.  Each header and each
 * record's checksum is checked once, when it is complete, so that writing
 * a stream a byte at a time costs what writing it at once does.  Returns
 * why the stream cannot be loaded, or NULL while it may still be.
 */
const char *vpb_mig_check_more(const struct vpb_mig_expect *want, struct vpb_mig_check *chk,
			       const u8 *stream, size_t len)
{
	const struct vfio_pci_bpf_mig_header *hdr;
	const char *why;
	size_t size;

	for (;;) {
		if (chk->done)
			return len > chk->at ? "trailing bytes after the payload" : NULL;
		if (len - chk->at < VPB_MIG_HDR)
			return NULL;
		hdr = (const void *)(stream + chk->at);
		if (!chk->head_ok) {
			why = vpb_mig_header_refusal(want, stream + chk->at, chk->at == 0);
			if (why)
				return why;
			chk->head_ok = true;
		}
		/* payload_len <= max_payload <= 1 MiB: no overflow. */
		size = vpb_mig_record_len(stream + chk->at);
		if (len - chk->at < size)
			return NULL;
		if (le32_to_cpu(hdr->crc32c) != vpb_mig_crc(stream + chk->at, size))
			return "checksum mismatch";
		chk->done = !(le32_to_cpu(hdr->flags) & VFIO_PCI_BPF_MIG_PRECOPY);
		chk->head_ok = false;
		chk->at += size;
	}
}

/*
 * Why the first @len bytes of a stream cannot be loaded, or NULL.  While
 * the VMM still writes (@complete false) a stream that is merely short is
 * fine; once RESUMING ends, it is not.
 */
const char *vpb_mig_refusal(const struct vpb_mig_expect *want, const u8 *stream, size_t len,
			    bool complete)
{
	struct vpb_mig_check chk = {};
	const char *why;

	why = vpb_mig_check_more(want, &chk, stream, len);
	if (why || !complete || chk.done)
		return why;
	if (chk.at && chk.at == len)
		return "no final record after the pre-copy record";
	return len - chk.at < VPB_MIG_HDR ? "truncated header" : "truncated payload";
}

void vpb_mig_refused(struct vpb_device *vdev, const char *why)
{
	pci_info_ratelimited(vdev->core.pdev, "migration stream refused: %s\n", why);
	this_cpu_inc(vdev->stats->mig_refused);
}
