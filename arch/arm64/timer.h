/* vigil's own timer (timer.c) as the rest of arch/arm64 sees it. */
#ifndef ARCH_ARM64_TIMER_H
#define ARCH_ARM64_TIMER_H

/*
 * On each CPU once its GIC interface is up (arch_vcpu_init): start-up code
 * registers its periodic callbacks before the boot CPU's redistributor is
 * set up, which resets every private interrupt; the timer's goes on here.
 */
void timer_cpu_init(void);

#endif
