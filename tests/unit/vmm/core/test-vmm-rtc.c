/* SPDX-License-Identifier: GPL-2.0-or-later */
/* CMOS RTC: BCD/binary and 12/24-hour encoding, UIP, century, the civil-date conversion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/rtc_cmos.h"

static uint8_t reg(struct rtc_cmos *r, uint8_t index, const struct tm *t, long nsec)
{
	rtc_cmos__select(r, index);
	return rtc_cmos__read(r, t, nsec);
}

static void test_encode(void **state)
{
	assert_int_equal(rtc_cmos__encode(59, 0), 0x59);
	assert_int_equal(rtc_cmos__encode(59, RTC_REG_B_BINARY), 59);
	assert_int_equal(rtc_cmos__encode(7, 0), 0x07);
	assert_int_equal(rtc_cmos__encode(2026 % 100, 0), 0x26);
	assert_int_equal(rtc_cmos__encode_hour(0, RTC_REG_B_24H), 0x00);
	assert_int_equal(rtc_cmos__encode_hour(23, RTC_REG_B_24H), 0x23);
	assert_int_equal(rtc_cmos__encode_hour(0, 0), 0x12);		    /* 12 AM */
	assert_int_equal(rtc_cmos__encode_hour(12, 0), 0x12 | RTC_HOUR_PM); /* 12 PM */
	assert_int_equal(rtc_cmos__encode_hour(13, 0), 0x01 | RTC_HOUR_PM);
	assert_int_equal(rtc_cmos__encode_hour(13, RTC_REG_B_BINARY), 1 | RTC_HOUR_PM);
}

static void test_utc(void **state)
{
	struct tm t;

	rtc_cmos__utc(0, &t);
	assert_int_equal(t.tm_year, 70);
	assert_int_equal(t.tm_mon, 0);
	assert_int_equal(t.tm_mday, 1);
	assert_int_equal(t.tm_wday, 4); /* Thursday */
	/* 2024-02-29 12:34:56 UTC (leap day) = 1709210096 */
	rtc_cmos__utc(1709210096, &t);
	assert_int_equal(t.tm_year, 124);
	assert_int_equal(t.tm_mon, 1);
	assert_int_equal(t.tm_mday, 29);
	assert_int_equal(t.tm_hour, 12);
	assert_int_equal(t.tm_min, 34);
	assert_int_equal(t.tm_sec, 56);
	assert_int_equal(t.tm_wday, 4);
	/* 2100-03-01 00:00:00 (2100 is not a leap year) = 4107542400 */
	rtc_cmos__utc(4107542400LL, &t);
	assert_int_equal(t.tm_year, 200);
	assert_int_equal(t.tm_mon, 2);
	assert_int_equal(t.tm_mday, 1);
	/* Against libc over a range of days. */
	for (int64_t s = 0; s < 5000LL * 86400; s += 86400 * 7 + 3671) {
		struct tm ref;
		time_t tt = (time_t)s;

		gmtime_r(&tt, &ref);
		rtc_cmos__utc(s, &t);
		assert_int_equal(t.tm_year, ref.tm_year);
		assert_int_equal(t.tm_mon, ref.tm_mon);
		assert_int_equal(t.tm_mday, ref.tm_mday);
		assert_int_equal(t.tm_wday, ref.tm_wday);
		assert_int_equal(t.tm_hour, ref.tm_hour);
	}
}

static void test_registers_bcd_and_binary(void **state)
{
	struct rtc_cmos r;
	struct tm t;

	rtc_cmos__utc(1709210096, &t); /* 2024-02-29 12:34:56, Thursday */
	rtc_cmos__init(&r);
	assert_int_equal(reg(&r, RTC_SECONDS, &t, 0), 0x56);
	assert_int_equal(reg(&r, RTC_MINUTES, &t, 0), 0x34);
	assert_int_equal(reg(&r, RTC_HOURS, &t, 0), 0x12);
	assert_int_equal(reg(&r, RTC_DAY_OF_WEEK, &t, 0), 5); /* Sunday = 1 */
	assert_int_equal(reg(&r, RTC_DAY_OF_MONTH, &t, 0), 0x29);
	assert_int_equal(reg(&r, RTC_MONTH, &t, 0), 0x02);
	assert_int_equal(reg(&r, RTC_YEAR, &t, 0), 0x24);
	assert_int_equal(reg(&r, RTC_CENTURY, &t, 0), 0x20);
	/* Binary mode, 12-hour clock. */
	rtc_cmos__select(&r, RTC_REG_B);
	rtc_cmos__write(&r, RTC_REG_B_BINARY);
	assert_int_equal(reg(&r, RTC_SECONDS, &t, 0), 56);
	assert_int_equal(reg(&r, RTC_YEAR, &t, 0), 24);
	assert_int_equal(reg(&r, RTC_HOURS, &t, 0), 12 | RTC_HOUR_PM);
}

static void test_uip_nmi_and_writes(void **state)
{
	struct rtc_cmos r;
	struct tm t;

	rtc_cmos__utc(0, &t);
	rtc_cmos__init(&r);
	assert_false(reg(&r, RTC_REG_A, &t, 0) & RTC_REG_A_UIP);
	assert_true(reg(&r, RTC_REG_A, &t, RTC_UIP_NSEC) & RTC_REG_A_UIP);
	/* Bit 7 of the index (NMI mask) selects the same register. */
	rtc_cmos__select(&r, 0x80 | RTC_REG_D);
	assert_int_equal(rtc_cmos__read(&r, &t, 0), RTC_REG_D_VRT);
	/* The guest cannot set the clock; CMOS RAM keeps what it is given. */
	rtc_cmos__select(&r, RTC_SECONDS);
	rtc_cmos__write(&r, 0x33);
	assert_int_equal(rtc_cmos__read(&r, &t, 0), 0x00);
	rtc_cmos__select(&r, 0x40);
	rtc_cmos__write(&r, 0xab);
	assert_int_equal(rtc_cmos__read(&r, &t, 0), 0xab);
	/* UIP cannot be written. */
	rtc_cmos__select(&r, RTC_REG_A);
	rtc_cmos__write(&r, 0xff);
	assert_int_equal(rtc_cmos__read(&r, &t, 0), 0x7f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_utc),
		cmocka_unit_test(test_registers_bcd_and_binary),
		cmocka_unit_test(test_uip_nmi_and_writes),
	};

	return cmocka_run_group_tests_name("vmm-rtc", tests, NULL, NULL);
}
