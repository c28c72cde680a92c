"""One-off seed of the Spanish catalog from the template (kept for the record; translators edit the .po)."""
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ES = {
 "events:gateway_center_2026_02_25/title": "Sesión sobre sus derechos en el Gateway Center",
 "events:webinar_2026_03_04/title": "Seminario web sobre sus derechos",
 "events:deescalation_2026_03_05/title": "Capacitación para calmar situaciones tensas",
 "events:webinar_2026_03_18/title": "Seminario web sobre sus derechos",
 "hotlines:stansbury/name": "Oficina de la Rep. Melanie Stansbury",
 "hotlines:stansbury/note": "Ayuda con casos ante agencias federales y referencias a expertos legales.",
 "hotlines:oei/name": "Oficina de Equidad e Inclusión de la Ciudad",
 "hotlines:oei/note": "Preguntas sobre las protecciones de la ciudad, o actividad de ICE en un lugar de la ciudad.",
 "hotlines:emergency/name": "911 y 311",
 "hotlines:emergency/note": "Es seguro llamar: la ciudad no comparte esos datos con agentes de inmigración. Si pregunta, APD le confirmará si un incidente involucra a ICE. Denuncie a la policía a quien se haga pasar por oficial.",
 "main:menu": "Responda con un número:",
 "main:menu/1": "Sus derechos",
 "main:menu/2": "Lugares seguros",
 "main:menu/3": "Eventos y capacitaciones",
 "main:menu/4": "Ayuda ahora",
 "main:menu/5": "Idioma",
 "main:menu/6": "Sobre esta línea",
 "main:language": "Elija un idioma:",
 "main:events": "Eventos y capacitaciones gratis sobre sus derechos:",
 "main:help": "Líneas de ayuda. En peligro, llame al 911.",
 "main:about": "Línea de Derechos sirve a la gente de Albuquerque. Da información, no consejo legal. Para consejo sobre su caso, hable con un abogado.",
 "main:about/1": "Qué guardamos",
 "main:about/2": "Fuentes",
 "main:privacy": "No guardamos su número, su nombre ni sus mensajes. Mientras escribe, guardamos su lugar en el menú por 1 hora bajo un código que no se puede convertir en su número. BORRAR lo elimina al instante. Solo contamos cuántas veces se usa cada menú, por día.",
 "main:sources": "De dónde viene esta información, con la fecha en que se revisó:",
 "places:city_buildings/name": "Edificios y estacionamientos de la ciudad",
 "places:city_buildings/note": "Propiedad de la ciudad: los agentes no pueden entrar a áreas no públicas sin una orden judicial, y el personal de la ciudad no ayuda a hacer cumplir leyes de inmigración.",
 "places:community_centers/name": "Centros comunitarios y de mayores de la ciudad",
 "places:community_centers/note": "Propiedad de la ciudad: las áreas no públicas requieren una orden judicial. El personal de la ciudad no puede preguntar por su estatus.",
 "places:libraries/name": "Bibliotecas públicas",
 "places:libraries/note": "Las bibliotecas públicas de Albuquerque son de la ciudad: las áreas no públicas requieren una orden judicial.",
 "places:hospitals/name": "Hospitales y clínicas",
 "places:hospitals/note": "Según la ordenanza del condado, las áreas privadas de hospitales y clínicas requieren una orden judicial. Siga yendo a sus citas médicas.",
 "places:schools/name": "Escuelas",
 "places:schools/note": "Según la ordenanza del condado, las áreas privadas de las escuelas requieren una orden judicial.",
 "places:churches/name": "Iglesias y lugares de culto",
 "places:churches/note": "Según la ordenanza del condado, las áreas privadas de los lugares de culto requieren una orden judicial.",
 "places:shelters/name": "Refugios",
 "places:shelters/note": "Según la ordenanza del condado, las áreas privadas de los refugios requieren una orden judicial.",
 "places:courthouses/name": "Tribunales",
 "places:courthouses/note": "Según la ordenanza del condado, las áreas privadas de los tribunales requieren una orden judicial. Los pasillos y salas públicas están abiertos a todos.",
 "places:dv_centers/name": "Centros contra la violencia doméstica",
 "places:dv_centers/note": "Según la ordenanza del condado, las áreas privadas de los centros contra la violencia doméstica requieren una orden judicial.",
 "places:public_property/name": "Otra propiedad pública en Nuevo México",
 "places:public_property/note": "Desde el 20 de mayo de 2026, la ley de Nuevo México no permite usar propiedad pública para detener a personas por faltas civiles de inmigración.",
 "rights:menu": "Todos tienen derechos, sin importar su estatus. ¿Dónde está?",
 "rights:menu/1": "En su puerta o casa",
 "rights:menu/2": "En la calle",
 "rights:menu/3": "En un carro",
 "rights:menu/4": "En el trabajo",
 "rights:menu/5": "Si lo detienen",
 "rights:menu/6": "Plan de seguridad familiar",
 "rights:door": "En su puerta: No abra. Pida que pasen la orden por debajo de la puerta. Solo una orden firmada por un juez, con su dirección, les permite entrar. Los formularios I-200 e I-205 de ICE los firman oficiales, no jueces: no permiten entrar. Si entran de todos modos, diga 'No doy mi consentimiento' y no se resista. Puede guardar silencio. No firme nada sin un abogado.",
 "rights:street": "En la calle: Mantenga la calma y no corra. Puede guardar silencio: diga 'Quiero guardar silencio.' Pregunte '¿Puedo irme?' Si le dicen que sí, váyase con calma. No tiene que decir dónde nació ni su estatus. No mienta ni muestre papeles falsos. No firme nada sin un abogado.",
 "rights:car": "En un carro: Pare en un lugar seguro y deje las manos a la vista. Quien maneja muestra licencia, registro y prueba de seguro, pero no tiene que contestar sobre su estatus ni dónde nació. Puede decir 'No doy consentimiento para un registro.' Los pasajeros pueden guardar silencio y preguntar '¿Puedo irme?' No mienta ni muestre papeles falsos.",
 "rights:work": "En el trabajo: Los agentes pueden entrar a áreas públicas, como la entrada o el estacionamiento. Las áreas privadas requieren permiso del dueño o una orden firmada por un juez. Puede guardar silencio y preguntar '¿Puedo irme?' No corra. No mienta ni muestre papeles falsos. No firme nada sin un abogado.",
 "rights:detained": "Si lo detienen: Diga que quiere guardar silencio y pida un abogado. La corte de inmigración no le da abogado, así que busque uno pronto (vea Ayuda ahora en el menú). No firme nada sin un abogado: podría perder su oportunidad de quedarse. No mienta ni muestre papeles falsos. Llame a un número que sepa de memoria.",
 "rights:plan": "Plan de seguridad familiar: Memorice un número de emergencia. Decida quién cuidará a sus hijos y avise a la escuela. Deje copias de sus papeles con alguien de confianza. Lleve una tarjeta roja: dice que usa su derecho a guardar silencio. Cuidado con los notarios: no son abogados. Busque ayuda legal solo con un abogado o un representante acreditado.",
 "safe:menu": "Lugares donde se requiere orden de un juez. Elija, o escriba un lugar:",
 "safe:menu/1": "¿Qué es una orden judicial?",
 "safe:menu/2": "La ciudad",
 "safe:menu/3": "Hospitales, escuelas y más",
 "safe:menu/4": "Ley estatal",
 "safe:menu/5": "Lista de lugares",
 "safe:warrant": "Una orden judicial la firma un juez y nombra una corte. Los formularios I-200 e I-205 de ICE los firman oficiales de inmigración, no jueces, y no permiten entrar a áreas privadas. Pida ver la orden y lea quién la firmó.",
 "safe:city": "Ciudad de Albuquerque: Incluye los edificios y estacionamientos de la ciudad. El personal de la ciudad no puede preguntar ni compartir su estatus migratorio, y los recursos de la ciudad no se usan para hacer cumplir leyes de inmigración. Los agentes no pueden entrar a áreas no públicas sin una orden judicial. Es seguro llamar al 911 y al 311.",
 "safe:county": "Condado de Bernalillo: Según la ordenanza de Lugares Comunitarios Más Seguros, las áreas privadas de hospitales y clínicas, escuelas, iglesias, refugios, tribunales y centros contra la violencia doméstica requieren una orden judicial para acciones de inmigración.",
 "safe:state": "Nuevo México: La Ley de Seguridad de Inmigrantes (House Bill 9) se firmó el 5 de febrero de 2026. Desde el 20 de mayo de 2026, la propiedad pública en Nuevo México no se puede usar para detener a personas por faltas civiles de inmigración.",
 "safe:places": "Escriba el tipo o el nombre de un lugar para consultarlo. Lugares que conocemos:",
 "system:welcome": "Línea de Derechos: información gratis y privada. No guardamos su número.",
 "system:choose_language": "Línea de Derechos, información gratis sobre sus derechos: responda {key} para español.",
 "system:option": "{key} {label}",
 "system:footer": "0 Menú - ATRAS",
 "system:more_hint": "Responda MAS para ver el resto.",
 "system:no_more": "Eso fue todo.",
 "system:unknown": "Perdón, no entendí.",
 "system:empty": "Su mensaje llegó vacío.",
 "system:pick": "Responda con un número:",
 "system:help": "Información gratis, no consejo legal. Elija con un número; 0 menú, ATRAS, MAS, IDIOMA. ALTO detiene los mensajes. BORRAR elimina su sesión.",
 "system:stopped": "Ya no recibirá mensajes de Línea de Derechos y no guardamos nada sobre usted. Escriba EMPEZAR para usarla otra vez.",
 "system:forgotten": "Listo: su sesión fue eliminada y los recordatorios, cancelados. No guardamos nada sobre usted. Escriba cualquier cosa para empezar otra vez.",
 "system:error": "Perdón, algo falló de nuestro lado. Escriba MENU para empezar otra vez.",
 "system:place_item": "- {name}",
 "system:place_found": "{name}:",
 "system:hotline_item": "{name}: {phone}. {note}",
 "system:source_item": "- {title} ({checked}): {url}",
 "system:event_item": "- {title}: {when}. {where}",
 "system:event_item_day": "- {title}: {when}, hora por anunciar. {where}",
 "system:no_events": "No hay eventos programados por ahora. Grabaciones de sesiones pasadas: cabq.gov/oira-resources",
}

if __name__ == "__main__":
    with open("translations/messages.pot", "rb") as f:
        template = read_po(f)
    catalog = Catalog(locale="es", project="Rights Line", version="0.1", copyright_holder="City of Albuquerque",
                      language_team="Spanish", fuzzy=False)
    catalog.mime_headers  # noqa: B018
    for message in template:
        if not message.id:
            continue
        catalog.add(message.id, ES[message.context], locations=message.locations, context=message.context,
                    auto_comments=message.auto_comments)
    missing = [m.context for m in template if m.id and m.context not in ES]
    assert not missing, missing
    catalog.header_comment = catalog.header_comment.replace(
        "FIRST AUTHOR <EMAIL@ADDRESS>, 2026.",
        "Reviewed by a native speaker: no. A fluent draft; have a native Spanish speaker review it before launch.")
    with open("translations/es/LC_MESSAGES/messages.po", "wb") as f:
        write_po(f, catalog, width=100)
