/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "core/rtc_cmos.h"

#include <string.h>

void rtc_cmos__init(struct rtc_cmos *r)
{
	memset(r, 0, sizeof(*r));
	r->ram[RTC_REG_A] = 0x26; /* 32.768 kHz time base, 1024 Hz periodic rate: what firmware programs */
	r->ram[RTC_REG_B] = RTC_REG_B_24H;
	r->ram[RTC_REG_D] = RTC_REG_D_VRT;
}

uint8_t rtc_cmos__encode(unsigned value, uint8_t reg_b)
{
	value %= 100;
	if (reg_b & RTC_REG_B_BINARY)
		return (uint8_t)value;
	return (uint8_t)(((value / 10) << 4) | (value % 10));
}

uint8_t rtc_cmos__encode_hour(unsigned hour, uint8_t reg_b)
{
	unsigned h12;

	hour %= 24;
	if (reg_b & RTC_REG_B_24H)
		return rtc_cmos__encode(hour, reg_b);
	h12 = hour % 12 == 0 ? 12 : hour % 12;
	return rtc_cmos__encode(h12, reg_b) | (hour >= 12 ? RTC_HOUR_PM : 0);
}

void rtc_cmos__utc(int64_t t, struct tm *out)
{
	/* Days to civil date, after Howard Hinnant's days_from_civil inverse (proleptic Gregorian). */
	int64_t days = t / 86400, secs = t % 86400;
	int64_t z, era, doe, yoe, doy, mp, year;

	if (secs < 0) {
		secs += 86400;
		days--;
	}
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	year = yoe + era * 400;
	memset(out, 0, sizeof(*out));
	out->tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1);
	out->tm_mon = (int)(mp < 10 ? mp + 2 : mp - 10);
	out->tm_year = (int)(year + (out->tm_mon <= 1) - 1900);
	out->tm_wday = (int)((days % 7 + 11) % 7); /* 1970-01-01 was a Thursday (4) */
	out->tm_hour = (int)(secs / 3600);
	out->tm_min = (int)(secs / 60 % 60);
	out->tm_sec = (int)(secs % 60);
}

void rtc_cmos__select(struct rtc_cmos *r, uint8_t value)
{
	r->index = value & 0x7f;
}

uint8_t rtc_cmos__read(struct rtc_cmos *r, const struct tm *now, long nsec)
{
	uint8_t b = r->ram[RTC_REG_B];
	unsigned year = (unsigned)now->tm_year + 1900;
	uint8_t v;

	switch (r->index) {
	case RTC_SECONDS:
		return rtc_cmos__encode((unsigned)now->tm_sec % 60, b); /* a leap second shows as :00 */
	case RTC_MINUTES:
		return rtc_cmos__encode((unsigned)now->tm_min, b);
	case RTC_HOURS:
		return rtc_cmos__encode_hour((unsigned)now->tm_hour, b);
	case RTC_DAY_OF_WEEK:
		return rtc_cmos__encode((unsigned)now->tm_wday + 1, b); /* Sunday = 1 */
	case RTC_DAY_OF_MONTH:
		return rtc_cmos__encode((unsigned)now->tm_mday, b);
	case RTC_MONTH:
		return rtc_cmos__encode((unsigned)now->tm_mon + 1, b);
	case RTC_YEAR:
		return rtc_cmos__encode(year % 100, b);
	case RTC_CENTURY:
		return rtc_cmos__encode(year / 100, b);
	case RTC_REG_A:
		return (uint8_t)((r->ram[RTC_REG_A] & 0x7f) | (nsec >= RTC_UIP_NSEC ? RTC_REG_A_UIP : 0));
	case RTC_REG_C:
		v = r->ram[RTC_REG_C];
		r->ram[RTC_REG_C] = 0; /* interrupt flags clear on read */
		return v;
	default:
		return r->ram[r->index];
	}
}

void rtc_cmos__write(struct rtc_cmos *r, uint8_t value)
{
	switch (r->index) {
	case RTC_SECONDS:
	case RTC_MINUTES:
	case RTC_HOURS:
	case RTC_DAY_OF_WEEK:
	case RTC_DAY_OF_MONTH:
	case RTC_MONTH:
	case RTC_YEAR:
	case RTC_CENTURY:
	case RTC_REG_C:
	case RTC_REG_D:
		return; /* the clock follows the host; flags are read-only */
	case RTC_REG_A:
		r->ram[RTC_REG_A] = value & 0x7f; /* UIP is read-only */
		return;
	default:
		r->ram[r->index] = value;
		return;
	}
}
