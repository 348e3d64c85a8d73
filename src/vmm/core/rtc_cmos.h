/* SPDX-License-Identifier: GPL-2.0-or-later */
#ifndef CELLA_VMM_CORE_RTC_CMOS_H
#define CELLA_VMM_CORE_RTC_CMOS_H

/*
 * The MC146818 CMOS RTC register model, pure: the time registers show the
 * host's UTC time handed in by the caller, encoded in BCD or binary and 12-
 * or 24-hour format as register B says. The guest cannot set the clock
 * (time-register writes are ignored); alarms and CMOS RAM are kept.
 */
#include <stdint.h>
#include <time.h>

#define RTC_SECONDS	 0x00
#define RTC_MINUTES	 0x02
#define RTC_HOURS	 0x04
#define RTC_DAY_OF_WEEK	 0x06
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH	 0x08
#define RTC_YEAR	 0x09
#define RTC_REG_A	 0x0A
#define RTC_REG_B	 0x0B
#define RTC_REG_C	 0x0C
#define RTC_REG_D	 0x0D
#define RTC_CENTURY	 0x32

#define RTC_REG_A_UIP	 0x80 /* update in progress: time registers about to change */
#define RTC_REG_B_24H	 0x02
#define RTC_REG_B_BINARY 0x04
#define RTC_REG_D_VRT	 0x80 /* battery good */
#define RTC_HOUR_PM	 0x80 /* 12-hour mode */

/* The UIP window before each second boundary, as the chip's 244 us. */
#define RTC_UIP_NSEC (1000000000L - 244000L)

struct rtc_cmos {
	uint8_t index;
	uint8_t ram[128];
};

void rtc_cmos__init(struct rtc_cmos *r);
/* One value (0..99) as the registers show it: BCD unless register B has the binary bit. */
uint8_t rtc_cmos__encode(unsigned value, uint8_t reg_b);
/* The hours register for hour (0..23): 24-hour, or 12-hour with bit 7 = PM. */
uint8_t rtc_cmos__encode_hour(unsigned hour, uint8_t reg_b);
/*
 * UTC calendar time for a Unix time (no time zone files: the VMM's threads
 * may not open files once their seccomp filters are in place, and glibc's
 * gmtime_r() reads /etc/localtime on first use).
 */
void rtc_cmos__utc(int64_t unix_seconds, struct tm *out);
/* Port 0x70: selects a register; bit 7 (the NMI mask on real boards) is ignored. */
void rtc_cmos__select(struct rtc_cmos *r, uint8_t value);
/* Port 0x71 read of the selected register at UTC time now, nsec into its second. */
uint8_t rtc_cmos__read(struct rtc_cmos *r, const struct tm *now, long nsec);
/* Port 0x71 write to the selected register. */
void rtc_cmos__write(struct rtc_cmos *r, uint8_t value);

#endif
