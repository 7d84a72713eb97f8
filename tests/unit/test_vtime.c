/*
 * hv/vtime.c: the guest-time offset the debugger grows while it holds the
 * guest (the rule is in vigil/vtime.h).
 */
#include <vigil/vtime.h>

#include "test.h"

TEST(starts_at_zero_and_not_frozen)
{
	struct vtime t = {0};

	EXPECT_EQ(0, vtime_thaw(&t, 1000));
	EXPECT_EQ(0, t.offset);
	EXPECT_FALSE(t.frozen);
}

TEST(a_stop_adds_exactly_its_span)
{
	struct vtime t = {0};

	vtime_freeze(&t, 1000);
	EXPECT_TRUE(t.frozen);
	EXPECT_EQ(0, t.offset); /* nothing changes until the thaw */
	EXPECT_EQ(30000, vtime_thaw(&t, 31000));
	EXPECT_EQ(30000, t.offset);
	EXPECT_FALSE(t.frozen);
	/* The guest's counter at the thaw is what it was at the freeze. */
	EXPECT_EQ(1000, 31000 - t.offset);
}

TEST(stops_accumulate_and_running_time_counts)
{
	struct vtime t = {0};

	vtime_freeze(&t, 100);
	vtime_thaw(&t, 600);   /* held 500 */
	/* 50 of running (a step, say): the guest sees them pass. */
	vtime_freeze(&t, 650);
	vtime_thaw(&t, 1650);  /* held 1000 */
	EXPECT_EQ(1500, t.offset);
	EXPECT_EQ(150, 1650 - t.offset); /* 100 + 50 of running */
}

TEST(freeze_is_idempotent_keeping_the_first_start)
{
	struct vtime t = {0};

	/* A kill leaves the guest held; the next attach finds it stopped. */
	vtime_freeze(&t, 100);
	vtime_freeze(&t, 900);
	EXPECT_EQ(100, t.since);
	EXPECT_EQ(1900, vtime_thaw(&t, 2000));
}

TEST(a_counter_behind_the_freeze_never_turns_time_back)
{
	struct vtime t = {.offset = 7};

	vtime_freeze(&t, 500);
	EXPECT_EQ(0, vtime_thaw(&t, 400));
	EXPECT_EQ(7, t.offset);
	EXPECT_FALSE(t.frozen);
}
