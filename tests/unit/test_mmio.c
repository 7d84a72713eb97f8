/* hv/mmio.c: the MMIO emulation registry. */
#include <string.h>

#include <vigil/mmio.h>

#include "fake/fake.h"
#include "test.h"

struct seen {
	unsigned int calls;
	struct vcpu *vcpu;
	uint64_t offset;
	uint64_t value_in;
	bool write;
	uint8_t size;
	void *priv;
};

static struct seen seen;

static bool device_access(struct vcpu *vcpu, struct mmio_access *acc,
			  uint64_t offset, void *priv)
{
	seen.calls++;
	seen.vcpu = vcpu;
	seen.offset = offset;
	seen.value_in = acc->value;
	seen.write = acc->write;
	seen.size = acc->size;
	seen.priv = priv;
	if (!acc->write)
		acc->value = 0x1234;
	return true;
}

static bool refusing_access(struct vcpu *vcpu, struct mmio_access *acc,
			    uint64_t offset, void *priv)
{
	(void)vcpu;
	(void)acc;
	(void)offset;
	(void)priv;
	seen.calls++;
	return false;
}

static struct mmio_region region(const char *name, uint64_t base,
				 uint64_t size)
{
	return (struct mmio_region){name, base, size, device_access, NULL};
}

static bool reg_one(struct mmio_registry *reg, const char *name,
		    uint64_t base, uint64_t size)
{
	struct mmio_region r = region(name, base, size);
	return mmio_register(reg, &r);
}

TEST(register_and_find)
{
	struct mmio_registry reg = {0};

	EXPECT_TRUE(reg_one(&reg, "uart", 0x9000000, 0x1000));
	EXPECT_TRUE(reg_one(&reg, "gicd", 0x8000000, 0x10000));
	EXPECT_EQ(2, reg.count);

	const struct mmio_region *r = mmio_find(&reg, 0x9000000, 4);
	ASSERT_NE(NULL, r);
	EXPECT_STREQ("uart", r->name);
	r = mmio_find(&reg, 0x800fffc, 4);
	ASSERT_NE(NULL, r);
	EXPECT_STREQ("gicd", r->name);
	/* The registry keeps a copy: the caller's struct may go away. */
	EXPECT_NE(NULL, mmio_find(&reg, 0x8000000, 1));
}

TEST(overlap_rejected)
{
	struct mmio_registry reg = {0};

	ASSERT_TRUE(reg_one(&reg, "a", 0x10000, 0x1000));
	/* Same range, starting inside, ending inside, containing, inside. */
	EXPECT_FALSE(reg_one(&reg, "same", 0x10000, 0x1000));
	EXPECT_FALSE(reg_one(&reg, "tail", 0x10fff, 0x1000));
	EXPECT_FALSE(reg_one(&reg, "head", 0xf001, 0x1000));
	EXPECT_FALSE(reg_one(&reg, "around", 0x0, 0x100000));
	EXPECT_FALSE(reg_one(&reg, "inside", 0x10800, 0x4));
	EXPECT_STREQ("mmio: inside overlaps a", fake_log_last());
	EXPECT_EQ(1, reg.count);
	/* Touching ranges do not overlap. */
	EXPECT_TRUE(reg_one(&reg, "below", 0xf000, 0x1000));
	EXPECT_TRUE(reg_one(&reg, "above", 0x11000, 0x1000));
	EXPECT_EQ(3, reg.count);
}

TEST(empty_or_wrapping_rejected)
{
	struct mmio_registry reg = {0};

	EXPECT_FALSE(reg_one(&reg, "empty", 0x1000, 0));
	EXPECT_STREQ("mmio: empty: empty or wrapping range", fake_log_last());
	EXPECT_FALSE(reg_one(&reg, "wrap", UINT64_MAX - 0xfff, 0x2000));
	EXPECT_STREQ("mmio: wrap: empty or wrapping range", fake_log_last());
	EXPECT_FALSE(reg_one(&reg, "huge", 1, UINT64_MAX));
	EXPECT_EQ(0, reg.count);
	/* A range ending just below 2^64 is fine. */
	EXPECT_TRUE(reg_one(&reg, "top", UINT64_MAX - 0xfff, 0xfff));
}

TEST(registry_full)
{
	struct mmio_registry reg = {0};

	for (uint64_t i = 0; i < MMIO_MAX_REGIONS; i++)
		ASSERT_TRUE(reg_one(&reg, "dev", 0x1000000 + i * 0x1000, 0x1000));
	EXPECT_EQ(MMIO_MAX_REGIONS, reg.count);
	EXPECT_FALSE(reg_one(&reg, "one-too-many", 0x2000000, 0x1000));
	EXPECT_STREQ("mmio: one-too-many: registry full", fake_log_last());
	EXPECT_EQ(MMIO_MAX_REGIONS, reg.count);
	/* Every registered region is still found. */
	for (uint64_t i = 0; i < MMIO_MAX_REGIONS; i++)
		EXPECT_EQ(&reg.regions[i],
			  mmio_find(&reg, 0x1000000 + i * 0x1000 + 0x10, 4));
}

TEST(find_boundaries)
{
	struct mmio_registry reg = {0};
	const uint64_t base = 0xa000000, size = 0x200;

	ASSERT_TRUE(reg_one(&reg, "dev", base, size));
	EXPECT_NE(NULL, mmio_find(&reg, base, 1));
	EXPECT_NE(NULL, mmio_find(&reg, base, 8));
	EXPECT_NE(NULL, mmio_find(&reg, base + size - 1, 1));
	EXPECT_NE(NULL, mmio_find(&reg, base + size - 4, 4));
	EXPECT_NE(NULL, mmio_find(&reg, base + size - 8, 8));
	/* Straddling the end or the start is not this device's access. */
	EXPECT_EQ(NULL, mmio_find(&reg, base + size - 2, 4));
	EXPECT_EQ(NULL, mmio_find(&reg, base + size - 1, 8));
	EXPECT_EQ(NULL, mmio_find(&reg, base - 1, 2));
	/* Outside. */
	EXPECT_EQ(NULL, mmio_find(&reg, base - 1, 1));
	EXPECT_EQ(NULL, mmio_find(&reg, base + size, 1));
	EXPECT_EQ(NULL, mmio_find(&reg, 0, 4));
	EXPECT_EQ(NULL, mmio_find(&reg, UINT64_MAX, 1));
	/* Wider than the whole region. */
	EXPECT_EQ(NULL, mmio_find(&reg, base, size + 1));
	EXPECT_EQ(NULL, mmio_find(&reg, base, UINT64_MAX));
}

TEST(find_in_empty_registry)
{
	struct mmio_registry reg = {0};

	EXPECT_EQ(NULL, mmio_find(&reg, 0x9000000, 4));
}

TEST(dispatch_read_zeroes_value_and_passes_offset)
{
	struct mmio_registry reg = {0};
	struct mmio_region r = region("dev", 0x9000000, 0x1000);
	int cookie;
	struct vcpu *vcpu = (struct vcpu *)&cookie; /* only passed through */

	memset(&seen, 0, sizeof(seen));
	r.priv = &cookie;
	ASSERT_TRUE(mmio_register(&reg, &r));

	struct mmio_access acc = {ipa_init(0x9000018), 4, false,
				  0xdeadbeefcafef00dULL};
	EXPECT_TRUE(mmio_dispatch(&reg, vcpu, &acc));
	EXPECT_EQ(1, seen.calls);
	EXPECT_EQ(0, seen.value_in); /* stale value never reaches the device */
	EXPECT_EQ(0x18, seen.offset);
	EXPECT_EQ(4, seen.size);
	EXPECT_FALSE(seen.write);
	EXPECT_EQ(vcpu, seen.vcpu);
	EXPECT_EQ(&cookie, seen.priv);
	EXPECT_EQ(0x1234, acc.value);
}

TEST(dispatch_write_passes_value)
{
	struct mmio_registry reg = {0};

	memset(&seen, 0, sizeof(seen));
	ASSERT_TRUE(reg_one(&reg, "dev", 0x9000000, 0x1000));
	struct mmio_access acc = {ipa_init(0x9000ff8), 8, true,
				  0xdeadbeefcafef00dULL};
	EXPECT_TRUE(mmio_dispatch(&reg, NULL, &acc));
	EXPECT_EQ(1, seen.calls);
	EXPECT_TRUE(seen.write);
	EXPECT_EQ(0xff8, seen.offset);
	EXPECT_EQ(0xdeadbeefcafef00dULL, seen.value_in);
	EXPECT_EQ(0xdeadbeefcafef00dULL, acc.value);
}

TEST(dispatch_unclaimed_and_refused)
{
	struct mmio_registry reg = {0};
	struct mmio_region r = region("picky", 0x9000000, 0x1000);

	memset(&seen, 0, sizeof(seen));
	r.access = refusing_access;
	ASSERT_TRUE(mmio_register(&reg, &r));

	struct mmio_access acc = {ipa_init(0x8000000), 4, false, 7};
	EXPECT_FALSE(mmio_dispatch(&reg, NULL, &acc));
	EXPECT_EQ(0, seen.calls);
	EXPECT_EQ(7, acc.value); /* nobody claimed it: untouched */

	acc = (struct mmio_access){ipa_init(0x9000ffe), 4, false, 7};
	EXPECT_FALSE(mmio_dispatch(&reg, NULL, &acc)); /* straddles the end */
	EXPECT_EQ(0, seen.calls);

	acc = (struct mmio_access){ipa_init(0x9000000), 4, true, 7};
	EXPECT_FALSE(mmio_dispatch(&reg, NULL, &acc)); /* device says no */
	EXPECT_EQ(1, seen.calls);
}

TEST(dispatch_picks_the_right_device)
{
	struct mmio_registry reg = {0};
	int a, b;
	struct mmio_region ra = region("a", 0x1000, 0x1000);
	struct mmio_region rb = region("b", 0x2000, 0x1000);

	ra.priv = &a;
	rb.priv = &b;
	ASSERT_TRUE(mmio_register(&reg, &ra));
	ASSERT_TRUE(mmio_register(&reg, &rb));
	struct mmio_access acc = {ipa_init(0x2000), 1, false, 0};
	memset(&seen, 0, sizeof(seen));
	EXPECT_TRUE(mmio_dispatch(&reg, NULL, &acc));
	EXPECT_EQ(&b, seen.priv);
	EXPECT_EQ(0, seen.offset);
	acc = (struct mmio_access){ipa_init(0x1fff), 1, false, 0};
	EXPECT_TRUE(mmio_dispatch(&reg, NULL, &acc));
	EXPECT_EQ(&a, seen.priv);
	EXPECT_EQ(0xfff, seen.offset);
}

/*
 * A forwarding region performs the access at the guest's address: here
 * that is a host buffer standing in for the device's registers.
 */
TEST(forward_performs_the_access_at_the_same_address)
{
	struct mmio_registry reg = {0};
	static uint64_t device[4] __attribute__((aligned(8)));
	uint64_t base = (uint64_t)(uintptr_t)device;

	device[0] = 0x1122334455667788ULL;
	ASSERT_TRUE(mmio_register_forward(&reg, "neighbour", base, sizeof(device)));

	struct mmio_access acc = {ipa_init(base), 8, false, 0};
	EXPECT_TRUE(mmio_dispatch(&reg, NULL, &acc));
	EXPECT_EQ(0x1122334455667788ULL, acc.value);
	acc = (struct mmio_access){ipa_init(base + 2), 2, false, 0};
	EXPECT_TRUE(mmio_dispatch(&reg, NULL, &acc));
	EXPECT_EQ(0x5566, acc.value); /* little-endian host, as the target */
	acc = (struct mmio_access){ipa_init(base + 1), 1, false, 0};
	EXPECT_TRUE(mmio_dispatch(&reg, NULL, &acc));
	EXPECT_EQ(0x77, acc.value);

	acc = (struct mmio_access){ipa_init(base + 8), 4, true, 0xcafef00d};
	EXPECT_TRUE(mmio_dispatch(&reg, NULL, &acc));
	EXPECT_EQ(0xcafef00dULL, device[1]);
	acc = (struct mmio_access){ipa_init(base + 16), 8, true, 0xfeedULL << 40};
	EXPECT_TRUE(mmio_dispatch(&reg, NULL, &acc));
	EXPECT_EQ(0xfeedULL << 40, device[2]);
}

TEST(forward_refuses_misaligned_and_stays_in_its_range)
{
	struct mmio_registry reg = {0};
	static uint32_t device[4] __attribute__((aligned(8)));
	uint64_t base = (uint64_t)(uintptr_t)device;

	device[1] = 0xabcd;
	ASSERT_TRUE(mmio_register_forward(&reg, "neighbour", base, 8));
	/* A misaligned device access is the guest's bus error. */
	struct mmio_access acc = {ipa_init(base + 2), 4, false, 0};
	EXPECT_FALSE(mmio_dispatch(&reg, NULL, &acc));
	acc = (struct mmio_access){ipa_init(base + 1), 2, true, 0xffff};
	EXPECT_FALSE(mmio_dispatch(&reg, NULL, &acc));
	EXPECT_EQ(0, device[0]);
	/* Past the forwarded range (the hidden neighbour): nobody's. */
	acc = (struct mmio_access){ipa_init(base + 8), 4, false, 0};
	EXPECT_FALSE(mmio_dispatch(&reg, NULL, &acc));
	acc = (struct mmio_access){ipa_init(base + 4), 4, false, 0};
	EXPECT_TRUE(mmio_dispatch(&reg, NULL, &acc));
	EXPECT_EQ(0xabcd, acc.value);
}
