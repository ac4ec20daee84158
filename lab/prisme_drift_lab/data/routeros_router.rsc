/interface bridge add admin-mac={mac} auto-mac=no comment=defconf name=bridge
/interface ethernet set [ find default-name=ether1 ] comment="Fibre FAI"
/interface ethernet set [ find default-name=ether5 ] comment="Serveur imagerie"
/interface vlan add comment="Imagerie CBCT" interface=bridge name=vlan20-imagerie vlan-id=20
/interface list add comment=defconf name=WAN
/interface list add comment=defconf name=LAN
/interface wifi security add authentication-types=wpa2-psk,wpa3-psk name=sec-staff passphrase={psk_staff}
/interface wifi security add authentication-types=wpa2-psk name=sec-patients passphrase={psk_guest}
/interface wifi configuration add country=France name=cfg-staff security=sec-staff ssid=Cabinet-Staff
/interface wifi configuration add country=France name=cfg-patients security=sec-patients ssid=Cabinet-Patients
/ip pool add name=pool-lan ranges=192.168.10.100-192.168.10.199
/ip pool add name=pool-imagerie ranges=192.168.20.100-192.168.20.150
/ip dhcp-server add address-pool=pool-lan interface=bridge name=dhcp-lan
/ip dhcp-server add address-pool=pool-imagerie interface=vlan20-imagerie name=dhcp-imagerie
/snmp community set [ find default=yes ] disabled=yes
/snmp community add addresses=192.168.10.50/32 name=clinique-ro
/interface bridge port add bridge=bridge comment=defconf interface=ether2
/interface bridge port add bridge=bridge comment=defconf interface=ether3
/interface bridge port add bridge=bridge comment=defconf interface=ether4
/interface bridge port add bridge=bridge comment=defconf interface=ether5
/ip neighbor discovery-settings set discover-interface-list=LAN
/interface list member add comment=defconf interface=bridge list=LAN
/interface list member add comment=defconf interface=ether1 list=WAN
/interface list member add interface=vlan20-imagerie list=LAN
/ip address add address=192.168.10.1/24 comment="LAN cabinet" interface=bridge network=192.168.10.0
/ip address add address=192.168.20.1/24 comment=Imagerie interface=vlan20-imagerie network=192.168.20.0
/ip dhcp-client add comment=defconf interface=ether1
/ip dhcp-server network add address=192.168.10.0/24 dns-server=192.168.10.1 gateway=192.168.10.1
/ip dhcp-server network add address=192.168.20.0/24 dns-server=192.168.20.1 gateway=192.168.20.1
/ip dns set allow-remote-requests=yes servers=1.1.1.1,9.9.9.9
/ip firewall filter add action=accept chain=input comment="defconf: accept established,related,untracked" connection-state=established,related,untracked
/ip firewall filter add action=drop chain=input comment="defconf: drop invalid" connection-state=invalid
/ip firewall filter add action=accept chain=input comment="defconf: accept ICMP" protocol=icmp
/ip firewall filter add action=drop chain=input comment="defconf: drop all not coming from LAN" in-interface-list=!LAN
/ip firewall filter add action=accept chain=forward comment="defconf: accept established,related, untracked" connection-state=established,related,untracked
/ip firewall filter add action=drop chain=forward comment="defconf: drop invalid" connection-state=invalid
/ip firewall filter add action=accept chain=forward comment="teleradiologie vers imagerie" dst-address=192.168.20.10 dst-port=443 in-interface-list=WAN protocol=tcp
/ip firewall filter add action=drop chain=forward comment="defconf: drop all from WAN not DSTNATed" connection-nat-state=!dstnat connection-state=new in-interface-list=WAN
/ip firewall nat add action=masquerade chain=srcnat comment="defconf: masquerade" ipsec-policy=out,none out-interface-list=WAN
/ip firewall nat add action=dst-nat chain=dstnat comment=imaging dst-port=443 in-interface-list=WAN protocol=tcp to-addresses=192.168.20.10 to-ports=443
/ip route add comment="Labo prothese (VPN)" distance=1 dst-address=10.50.0.0/16 gateway=192.168.10.254
/ip service set telnet disabled=yes
/ip service set ftp disabled=yes
/ip service set www disabled=yes
/ip service set api disabled=yes
/ip service set api-ssl disabled=yes
/snmp set contact=it@cabinet-sourire.fr enabled=yes location="Baie de brassage"
/system clock set time-zone-name=Europe/Paris
/system identity set name={hostname}
/system note set show-at-login=no
/system ntp client set enabled=yes
/system ntp client servers add address=ntp.obspm.fr
/system ntp client servers add address=0.fr.pool.ntp.org
/tool mac-server set allowed-interface-list=LAN
/tool mac-server mac-winbox set allowed-interface-list=LAN
