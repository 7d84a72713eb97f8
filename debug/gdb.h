/*
 * The GDB remote serial protocol session: packets in, replies and stop
 * notifications out, against the machine of target.h. One session at a
 * time; the transport (transport.c) feeds it bytes and carries its output.
 */
#ifndef DEBUG_GDB_H
#define DEBUG_GDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest packet payload we accept and advertise (PacketSize). */
#define GDB_PACKET_SIZE 4096

/* Implemented by the transport: queue bytes for the client. */
void gdb_send(const void *data, size_t len);

/* A client connected: stops the guest (the `?` reply waits for that). */
void gdb_open(void);
/* Bytes from the client, any amount, any split. */
void gdb_receive(const uint8_t *data, size_t len);
/* Deliver a stop reply once the guest has stopped. Call often. */
void gdb_poll(void);
/* The client went away (or must go): breakpoints out, the guest runs. */
void gdb_close(void);
/*
 * gdb.readonly: from now on, every session may read but not change the
 * guest (gdb.c's header says exactly what is refused).
 */
void gdb_set_readonly(bool on);
/* True after `D` or `k` was answered: the transport closes the connection. */
bool gdb_should_close(void);

#endif
