/*
 * registry.c: every built-in packet processor, in catalog order.  This table
 * is the single source of truth for the built-in uNF descriptors:
 * yang/catalog/builtin.json is generated from it (dataplane/gen_catalog.py) and
 * tests/test_processors.py fails when they differ.
 */
#include <string.h>

#include "unf_processor.h"

extern const struct unf_descriptor unf_rx_service, unf_tx_service, unf_mac_swapper,
	unf_ip_ttl_decrementer, unf_check_ip_header, unf_l3l4_filter, unf_http_classifier,
	unf_validate_url, unf_count_url, unf_packet_size_counter, unf_flow_load_balancer, unf_busy;

const struct unf_descriptor *const unf_registry[] = {
	&unf_rx_service,	  &unf_tx_service,	   &unf_mac_swapper,
	&unf_ip_ttl_decrementer,  &unf_check_ip_header,	   &unf_l3l4_filter,
	&unf_http_classifier,	  &unf_validate_url,	   &unf_count_url,
	&unf_packet_size_counter, &unf_flow_load_balancer, &unf_busy,
};

const unsigned unf_registry_size = sizeof(unf_registry) / sizeof(unf_registry[0]);

const struct unf_descriptor *unf_registry_find(const char *unf_class)
{
	unsigned i;

	for (i = 0; i < unf_registry_size; i++)
		if (strcmp(unf_registry[i]->unf_class, unf_class) == 0)
			return unf_registry[i];
	return NULL;
}
